"""Which connection carries a message: the most specific route wins, priority orders the
failover, and a message no route matches is refused rather than sent somewhere unintended."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from herald.providers.base import ReceiptSink, Submission, SubmitOutcome, SubmitResult
from herald.routing.router import NO_ROUTE, Router, RouteRule

UNITEL = ("+244923456789", "AO", "UNITEL")


class Link:
    """A provider whose link is up or down."""

    def __init__(self, name: str, up: bool = True) -> None:
        self.name = name
        self.up = up

    def is_available(self) -> bool:
        return self.up

    def start(self, receipts: ReceiptSink) -> None: ...

    def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        return []

    def stop(self) -> None: ...


def _router(rules: list[RouteRule], *links: Link) -> Router:
    providers = {"SIMULATOR": Link("SIMULATOR"), **{link.name: link for link in links}}
    return Router(providers, "SIMULATOR", routes=lambda: rules)  # type: ignore[arg-type]


def test_without_routes_everything_goes_to_the_default_provider() -> None:
    router = _router([])
    assert router.provider_for(*UNITEL).name == "SIMULATOR"


def test_the_most_specific_matching_route_wins() -> None:
    rules = [
        RouteRule("any"),
        RouteRule("angola", country_alpha2="AO"),
        RouteRule("unitel", country_alpha2="AO", carrier="UNITEL"),
        RouteRule("range", prefix="+2449234"),
        RouteRule("wide-range", prefix="+2449"),
    ]
    router = _router(rules, *(Link(r.connection) for r in rules))
    assert router.provider_for(*UNITEL).name == "range"
    assert router.provider_for("+244990000001", "AO", "UNITEL").name == "wide-range"
    assert router.provider_for("+244811111111", "AO", "UNITEL").name == "unitel"
    assert router.provider_for("+244811111111", "AO", "MOVICEL").name == "angola"
    assert router.provider_for("+351912345678", "PT", "MEO").name == "any"


def test_among_equal_routes_the_higher_priority_is_used_and_the_lower_is_its_failover() -> None:
    primary, backup = Link("primary"), Link("backup")
    rules = [
        RouteRule("backup", country_alpha2="AO", priority=5),
        RouteRule("primary", country_alpha2="AO", priority=10),
    ]
    router = _router(rules, primary, backup)
    assert router.provider_for(*UNITEL).name == "primary"
    primary.up = False
    assert router.provider_for(*UNITEL).name == "backup"
    backup.up = False  # everything down: queue on the best, which asks to retry later
    assert router.provider_for(*UNITEL).name == "primary"


def test_a_message_no_route_matches_is_refused() -> None:
    router = _router([RouteRule("angola", country_alpha2="AO")], Link("angola"))
    provider = router.provider_for("+351912345678", "PT", "MEO")
    assert provider.name == NO_ROUTE


def test_a_route_to_a_connection_not_started_yet_is_skipped() -> None:
    rules = [RouteRule("new-one", priority=9), RouteRule("angola", country_alpha2="AO")]
    router = _router(rules, Link("angola"))
    assert router.provider_for(*UNITEL).name == "angola"


def test_routes_are_read_again_after_a_reload() -> None:
    rules: list[RouteRule] = []
    router = _router(rules, Link("angola"))
    assert router.provider_for(*UNITEL).name == "SIMULATOR"
    rules.append(RouteRule("angola"))
    router.reload()
    assert router.provider_for(*UNITEL).name == "angola"


def test_a_route_only_to_a_connection_not_open_yet_holds_its_messages_for_a_retry() -> None:
    router = _router([RouteRule("new-one")])
    provider = router.provider_for(*UNITEL)
    assert provider.name == "new-one"
    submission = Submission(uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057"), UNITEL[0], "S", "x")
    [[result]] = provider.submit([submission])
    assert result.outcome is SubmitOutcome.RETRY  # not REJECTED: the connection is coming

    router.attach(Link("new-one"))  # opened
    assert isinstance(router.provider_for(*UNITEL), Link)
    assert router.detach("new-one") is not None
    assert router.provider_for(*UNITEL).name == "new-one"  # waiting again
