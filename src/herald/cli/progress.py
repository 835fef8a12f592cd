"""A live progress display for `watch` commands: bars redrawn from a snapshot that a poll
function takes of the server, until the snapshot says everything is final."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str  # "sent", "delivered"…
    completed: int
    total: int
    note: str = ""


@dataclass(frozen=True)
class Snapshot:
    bars: list[Bar]
    done: bool
    summary: str = ""


Poll = Callable[[], Snapshot]


def watch(poll: Poll, interval: float, bars: bool) -> Snapshot:
    """Poll until done; with `bars`, draw a Rich progress bar per line meanwhile."""
    if not bars:
        return _until_done(poll, interval, lambda snapshot: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, refresh_per_second=4) as progress:
        tasks: dict[str, TaskID] = {}

        def draw(snapshot: Snapshot) -> None:
            for bar in snapshot.bars:
                if bar.label not in tasks:
                    tasks[bar.label] = progress.add_task(bar.label, total=bar.total, note="")
                progress.update(
                    tasks[bar.label], completed=bar.completed, total=bar.total, note=bar.note
                )

        last = _until_done(poll, interval, draw)
    if last.summary:
        progress.console.print(last.summary)
    return last


def _until_done(poll: Poll, interval: float, draw: Callable[[Snapshot], None]) -> Snapshot:
    while True:
        snapshot = poll()
        draw(snapshot)
        if snapshot.done:
            return snapshot
        time.sleep(interval)
