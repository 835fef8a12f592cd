"""Money is an integer number of micro-units in the core; Decimal strings only at the edge."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICROS = 1_000_000


def to_micros(amount: str | int | Decimal) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    return int((value * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_micros(micros: int) -> str:
    """'15.000000' for 15_000_000: six decimals, as the seeds show amounts."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICROS)
    return f"{sign}{whole}.{frac:06d}"
