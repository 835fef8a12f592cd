"""Inline SVG charts drawn on the server: no script library, nothing fetched at run time."""

from __future__ import annotations

from markupsafe import Markup, escape

from herald.messaging.queries import TimelinePoint

WIDTH, HEIGHT, PAD = 640, 160, 24
SERIES = (("sent", "#2f6fdf"), ("delivered", "#1f9d55"))


def timeline_svg(points: list[TimelinePoint]) -> Markup:
    """Sends and deliveries per interval, as two polylines over a shared scale."""
    if not points:
        return Markup('<p class="muted">Nothing sent yet.</p>')
    top = max(max(p.sent, p.delivered) for p in points) or 1
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def line(attr: str) -> str:
        coords = (
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * getattr(p, attr) / top:.1f}"
            for i, p in enumerate(points)
        )
        return " ".join(coords)

    lines = "".join(
        f'<polyline class="series-{name}" fill="none" stroke="{colour}" stroke-width="2" '
        f'points="{line(name)}"/>'
        for name, colour in SERIES
    )
    first, last = points[0].at.strftime("%H:%M:%S"), points[-1].at.strftime("%H:%M:%S")
    legend = "".join(
        f'<text x="{WIDTH - PAD - 160 + 80 * i}" y="14" fill="{colour}">{name}</text>'
        for i, (name, colour) in enumerate(SERIES)
    )
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" aria-label="messages sent and delivered over time">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#c9ced8"/>{lines}{legend}'
        f'<text class="axis" x="{PAD}" y="{HEIGHT - 6}">{escape(first)}</text>'
        f'<text class="axis" x="{WIDTH - PAD - 60}" y="{HEIGHT - 6}">{escape(last)}</text>'
        f'<text class="axis" x="{PAD}" y="14">peak {top} / interval</text></svg>'
    )
