"""Turning raw recipients into priced destinations: the pure part of accept and expand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from herald.billing.service import PriceList
from herald.messaging.encoding import TextInfo, analyse
from herald.routing.numbers import CarrierDetector, Destination, likely_region


@dataclass(frozen=True, slots=True)
class PricedDestination:
    destination: Destination
    cost_micros: int


@dataclass(slots=True)
class Plan:
    text: TextInfo
    destinations: list[PricedDestination] = field(default_factory=list)
    invalid: int = 0
    duplicates: int = 0
    suppressed: int = 0

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
) -> Plan:
    """Normalise, de-duplicate and price each recipient; one message costs
    segments x the unit price of its country and carrier."""
    plan = Plan(text=analyse(content))
    seen: set[str] = set()
    for number in raw:
        destination = detector.destination(number, default_region)
        if destination is None:
            plan.invalid += 1
        elif destination.e164 in seen:
            plan.duplicates += 1
        elif destination.e164 in suppressed:
            seen.add(destination.e164)
            plan.suppressed += 1
        else:
            seen.add(destination.e164)
            unit = prices.unit_price(destination.country_alpha2, destination.carrier)
            plan.destinations.append(PricedDestination(destination, unit * plan.text.segments))
    return plan


def estimate_cost(
    raw: Iterable[str], content: str, default_region: str | None, prices: PriceList
) -> int:
    """An upper bound of what the recipients will cost, without parsing each number:
    every distinct entry priced at the dearest carrier of its likely country."""
    segments = analyse(content).segments
    total = 0
    for number in set(raw):
        total += prices.highest_unit_price(likely_region(number, default_region)) * segments
    return total
