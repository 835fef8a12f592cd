"""Turning raw recipients into priced destinations: the pure part of accept and expand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from herald.billing.service import PriceList
from herald.messaging.encoding import TextInfo, analyse
from herald.messaging.models import DropReason
from herald.routing.numbers import (
    CarrierDetector,
    Destination,
    likely_region,
    reads_as_number,
)


@dataclass(frozen=True, slots=True)
class PricedDestination:
    destination: Destination
    cost_micros: int


@dataclass(frozen=True, slots=True)
class Dropped:
    position: int  # index in the submitted recipients
    recipient: str
    e164: str | None
    reason: DropReason


@dataclass(slots=True)
class Plan:
    text: TextInfo
    destinations: list[PricedDestination] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    def _count(self, *reasons: DropReason) -> int:
        return sum(1 for d in self.dropped if d.reason in reasons)

    @property
    def invalid(self) -> int:
        return self._count(DropReason.NOT_A_PHONE_NUMBER, DropReason.INVALID_NUMBER)

    @property
    def duplicates(self) -> int:
        return self._count(DropReason.DUPLICATE)

    @property
    def suppressed(self) -> int:
        return self._count(DropReason.OPTED_OUT)

    @property
    def total_cost(self) -> int:
        return sum(d.cost_micros for d in self.destinations)

    def note(self, submitted: int) -> str:
        dropped = [
            f"{n} {what}"
            for n, what in (
                (self.invalid, "invalid"),
                (self.duplicates, "duplicate"),
                (self.suppressed, "opted out"),
            )
            if n
        ]
        head = f"{len(self.destinations)} of {submitted} recipients accepted"
        return head + (f"; dropped {', '.join(dropped)}." if dropped else ".")


def plan_recipients(
    raw: Iterable[str],
    content: str,
    default_region: str | None,
    detector: CarrierDetector,
    prices: PriceList,
    suppressed: frozenset[str] = frozenset(),
    *,
    whole: bool = False,
) -> Plan:
    """Normalise, de-duplicate and price each recipient; one message costs
    segments x the unit price of its country and carrier (one unit price when `whole`:
    a channel that bills by message, not by SMS segment)."""
    plan = Plan(text=analyse(content))
    units = 1 if whole else plan.text.segments
    seen: set[str] = set()
    for position, number in enumerate(raw):
        destination = detector.destination(number, default_region)
        if destination is None:
            readable = reads_as_number(number, default_region)
            reason = DropReason.INVALID_NUMBER if readable else DropReason.NOT_A_PHONE_NUMBER
            plan.dropped.append(Dropped(position, number, None, reason))
        elif destination.e164 in seen:
            plan.dropped.append(Dropped(position, number, destination.e164, DropReason.DUPLICATE))
        elif destination.e164 in suppressed:
            seen.add(destination.e164)
            plan.dropped.append(Dropped(position, number, destination.e164, DropReason.OPTED_OUT))
        else:
            seen.add(destination.e164)
            unit = prices.unit_price(destination.country_alpha2, destination.carrier)
            plan.destinations.append(PricedDestination(destination, unit * units))
    return plan


def estimate_cost(
    raw: Iterable[str],
    content: str,
    default_region: str | None,
    prices: PriceList,
    *,
    whole: bool = False,
) -> int:
    """An upper bound of what the recipients will cost, without parsing each number:
    every distinct entry priced at the dearest carrier of its likely country."""
    segments = 1 if whole else analyse(content).segments
    total = 0
    for number in set(raw):
        total += prices.highest_unit_price(likely_region(number, default_region)) * segments
    return total
