"""Helpers for voice tests: a Herald whose voice simulator runs fast, and a small client
of the voice API (Bearer keys) that builds state the way a user would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald.billing import service as billing
from herald.kit.clock import Clock
from herald.kit.money import to_micros
from herald.providers.voice_sim import LineRecord, VoiceSimulator
from herald.voice import public_ids
from support import HeraldFactory, RunningHerald, Tenant, wait_until

# 1 simulated second = 2 ms: rings of 6-30 ms, conversations of about 150 ms.
FAST = {"voice_sim_time_scale": 0.002, "read_rate_limit": "100000/minute"}
FAST["write_rate_limit"] = "100000/minute"

ANSWERS = "0900"  # a person answers
BUSY = "0901"
NO_ANSWER = "0902"
FAILS = "0903"
MACHINE = "0904"


def number(index: int, suffix: str | None = None) -> str:
    """A valid Portuguese mobile number, distinct per index; `suffix` (four digits) forces
    the simulator's outcome, otherwise the seeded random draw decides (the number ends in
    7, never in a forcing suffix)."""
    if suffix is not None:
        return f"+35191{index % 1000:03d}{suffix}"
    return f"+35192{index % 1_000_000:06d}7"


def start(
    make_herald: HeraldFactory, clock: Clock | None = None, **overrides: Any
) -> RunningHerald:
    return make_herald(clock=clock, **{**FAST, **overrides})


def simulator(herald: RunningHerald) -> VoiceSimulator:
    assert herald.container.voice is not None
    provider = herald.container.voice.providers.providers["VOICE_SIM"]
    assert isinstance(provider, VoiceSimulator)
    return provider


def set_voice_price(herald: RunningHerald, price: str, country: str = "*") -> None:
    with herald.container.db.transaction() as session:
        billing.set_price(
            session,
            herald.container.clock,
            channel_type="VOICE",
            country_alpha2=country,
            carrier="*",
            price_micros=to_micros(price),
        )


def peak_overlap(records: list[LineRecord]) -> int:
    """The most calls on the line at one moment, from providers' own records."""
    edges = []
    for r in records:
        edges.append((r.placed_at, 1))
        edges.append((r.ended_at if r.ended_at is not None else float("inf"), -1))
    peak = current = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        current += step
        peak = max(peak, current)
    return peak


@dataclass
class Voice:
    """A tenant using the voice API."""

    herald: RunningHerald
    tenant: Tenant
    api_key: str = ""

    def __post_init__(self) -> None:
        self.api_key = self.api_key or self.tenant.api_key

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def post(self, path: str, body: Any) -> Any:
        return self.herald.client.post(path, json=body, headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self.herald.client.get(path, params=params, headers=self.headers)

    def patch(self, path: str, body: Any) -> Any:
        return self.herald.client.patch(path, json=body, headers=self.headers)

    def agent(self, **fields: Any) -> str:
        body = {
            "name": "Renewals",
            "greeting": "Hello, this is Acme Insurance.",
            "message": "Your policy renews next week.",
            "questions": [
                {
                    "key": "renew",
                    "prompt": "Press 1 to renew, 2 to talk to us.",
                    "answer_type": "dtmf",
                    "choices": {"1": "renew", "2": "callback"},
                }
            ],
            "voicemail": {"action": "hang_up"},
            "outcome_labels": ["renewing", "not_interested", "callback_requested"],
            **fields,
        }
        response = self.post("/v1/agents", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def caller_number(self, phone: str = "+351211234567") -> str:
        response = self.post("/v1/phone-numbers", {"phone_number": phone})
        assert response.status_code in (201, 409), response.text
        return phone

    def create(self, leads: list[str] | list[dict[str, Any]], **fields: Any) -> Any:
        body = {
            "name": "Q2 Lead Re-engagement",
            "agent_id": fields.pop("agent_id", None) or self.agent(),
            "from_phone_number": fields.pop("from_phone_number", None) or self.caller_number(),
            "max_concurrent_calls": 5,
            "retry": {"max_retries": 0, "retry_interval_minutes": 1},
            "leads": [{"phone_number": lead} if isinstance(lead, str) else lead for lead in leads],
            **fields,
        }
        return self.post("/v1/campaigns", body)

    def campaign(self, leads: list[str] | list[dict[str, Any]], **fields: Any) -> str:
        response = self.create(leads, **fields)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def show(self, campaign_id: str) -> dict[str, Any]:
        response = self.get(f"/v1/campaigns/{campaign_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def calls(self, campaign_id: str) -> list[dict[str, Any]]:
        """The whole call log, oldest first."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            response = self.get(f"/v1/campaigns/{campaign_id}/calls", **params)
            assert response.status_code == 200, response.text
            page = response.json()
            found += page["data"]
            cursor = page["next_cursor"]
            if not cursor:
                return list(reversed(found))

    def wait_status(self, campaign_id: str, status: str, timeout: float = 30.0) -> dict[str, Any]:
        return wait_until(
            lambda: (c := self.show(campaign_id))["status"] == status and c, timeout=timeout
        )


def engine_id(public_id: str) -> str:
    prefix = public_id.split("_", 1)[0]
    value = public_ids.decode(prefix, public_id)
    assert value is not None
    return str(value)
