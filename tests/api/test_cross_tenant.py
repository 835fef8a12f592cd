"""No tenant reaches another's resources, and no key does more than its scopes allow, on
every route that takes an id: the routes are read from the published OpenAPI document,
so a route added tomorrow is walked too, and fails here until FACTORIES can create what
its path names.

For each such operation, tenant A owns a real resource; tenant B's key and a key of A
without the scope get 404 or 403, the answer holds no id, name or field of A's resource,
and nothing A can see has changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from herald.tenancy import service as tenancy
from outreach_kit import add_group, grant
from support import HeraldFactory, RunningHerald, Tenant
from voice_kit import Voice

MARK = "zephyrine"  # in every name and text of A's resources: must never reach B
NUMBERS = ["+244990000001", "+244990000002"]


@dataclass
class Owner:
    """Tenant A, its resources (created on demand, once) and the ids they have."""

    herald: RunningHerald
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        key = self.tenant.api_key
        return {"X-API-KEY": key, "Authorization": f"Bearer {key}"}

    def post(self, path: str, body: Any) -> Any:
        response = self.herald.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    def once(self, name: str, create: Callable[[], str]) -> str:
        if name not in self.ids:
            self.ids[name] = create()
        return self.ids[name]

    # /c/v1
    def campaign_id(self) -> str:
        return self.once(
            "campaign_id",
            lambda: self.post("/c/v1/campaigns/batch", self.batch_body())["campaign_id"],
        )

    def batch_body(self) -> dict[str, Any]:
        return {
            "name": f"{MARK} batch",
            "remitter_id": self.tenant.remitter_id,
            "channel_type": "SMS",
            "country_alpha2": "AO",
            "content": f"{MARK} sale",
            "recipients": NUMBERS,
        }

    def message_id(self) -> str:
        return self.once(
            "message_id",
            lambda: self.post(
                "/c/v1/messages",
                {
                    "recipient": NUMBERS[0],
                    "content": f"{MARK} hello",
                    "remitter_id": self.tenant.remitter_id,
                    "channel_type": "SMS",
                    "country_alpha2": "AO",
                },
            )["id"],
        )

    def endpoint_id(self) -> str:
        return self.once(
            "endpoint_id",
            lambda: self.post(
                "/c/v1/webhooks",
                {
                    "url": "http://127.0.0.1:9/hooks",
                    "event_types": ["campaign.status_changed"],
                    "description": MARK,
                },
            )["id"],
        )

    def delivery_id(self) -> str:
        def create() -> str:
            endpoint = self.endpoint_id()
            changed = self.post("/c/v1/campaigns/batch", self.batch_body())["campaign_id"]
            self.post(f"/c/v1/campaigns/{changed}/pause", {"reason": MARK})  # an event
            deliveries = self.herald.client.get(
                f"/c/v1/webhooks/{endpoint}/deliveries", headers=self.headers
            ).json()["data"]
            return str(deliveries[0]["id"])

        return self.once("delivery_id", create)

    # /v1/accounts
    def group_id(self) -> str:
        return self.once("accountGroupId", lambda: add_group(self.herald, self.tenant, MARK))

    def outreach_campaign_id(self) -> str:
        return self.once(
            "campaignId",
            lambda: self.post(
                f"/v1/accounts/{self.group_id()}/campaigns",
                {
                    "name": f"{MARK} follow-up",
                    "senderId": self.tenant.remitter_id,
                    "outreachLanguage": "en",
                },
            )["data"]["id"],
        )

    def lead_id(self) -> str:
        return self.once(
            "leadId",
            lambda: self.post(
                f"/v1/accounts/{self.group_id()}/leads",
                {"defaultCountry": "AO", "leads": [{"phone": NUMBERS[0], "firstName": MARK}]},
            )["data"]["leadIds"][0],
        )

    # voice
    def agent_id(self) -> str:
        return self.once("agent_id", lambda: Voice(self.herald, self.tenant).agent(name=MARK))

    def voice_campaign_id(self) -> str:
        return self.once(
            "voice_campaign_id",
            lambda: Voice(self.herald, self.tenant).campaign(
                ["+351912345678"], name=f"{MARK} calls", status="draft", agent_id=self.agent_id()
            ),
        )


# Path template -> the path parameters of a resource of A's that the route acts on.
FACTORIES: dict[str, Callable[[Owner], dict[str, str]]] = {
    "/c/v1/campaigns/{campaign_id}": lambda a: {"campaign_id": a.campaign_id()},
    "/c/v1/campaigns/{campaign_id}/pause": lambda a: {"campaign_id": a.campaign_id()},
    "/c/v1/campaigns/{campaign_id}/resume": lambda a: {"campaign_id": a.campaign_id()},
    "/c/v1/campaigns/{campaign_id}/cancel": lambda a: {"campaign_id": a.campaign_id()},
    "/c/v1/campaigns/{campaign_id}/dropped-recipients": lambda a: {"campaign_id": a.campaign_id()},
    "/c/v1/messages/{message_id}": lambda a: {"message_id": a.message_id()},
    "/c/v1/messages/{message_id}/parts": lambda a: {"message_id": a.message_id()},
    "/c/v1/webhooks/{endpoint_id}": lambda a: {"endpoint_id": a.endpoint_id()},
    "/c/v1/webhooks/{endpoint_id}/enable": lambda a: {"endpoint_id": a.endpoint_id()},
    "/c/v1/webhooks/{endpoint_id}/deliveries": lambda a: {"endpoint_id": a.endpoint_id()},
    "/c/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay": lambda a: {
        "endpoint_id": a.endpoint_id(),
        "delivery_id": a.delivery_id(),
    },
    "/v1/accounts/{accountGroupId}/leads": lambda a: {"accountGroupId": a.group_id()},
    "/v1/accounts/{accountGroupId}/leads/import": lambda a: {"accountGroupId": a.group_id()},
    "/v1/accounts/{accountGroupId}/leads/{leadId}": lambda a: _lead(a),
    "/v1/accounts/{accountGroupId}/leads/{leadId}/conversation": lambda a: _lead(a),
    "/v1/accounts/{accountGroupId}/campaigns": lambda a: {"accountGroupId": a.group_id()},
    **{
        f"/v1/accounts/{{accountGroupId}}/campaigns/{{campaignId}}{tail}": (
            lambda a: {"accountGroupId": a.group_id(), "campaignId": a.outreach_campaign_id()}
        )
        for tail in ("", "/workflow", "/leads", "/start", "/pause", "/resume", "/cancel")
    },
    "/v1/agents/{agent_id}": lambda a: {"agent_id": a.agent_id()},
    "/v1/campaigns/{campaign_id}": lambda a: {"campaign_id": a.voice_campaign_id()},
    "/v1/campaigns/{campaign_id}/leads": lambda a: {"campaign_id": a.voice_campaign_id()},
    "/v1/campaigns/{campaign_id}/calls": lambda a: {"campaign_id": a.voice_campaign_id()},
}


def _lead(a: Owner) -> dict[str, str]:
    return {"accountGroupId": a.group_id(), "leadId": a.lead_id()}


def body_for(method: str, template: str, a: Owner) -> dict[str, Any]:
    """A request body that A could send with success, so that B's request is refused for
    whose resource it is and not for its shape."""
    if method in ("GET", "DELETE"):
        return {}
    bodies: dict[str, Any] = {
        "/c/v1/campaigns/{campaign_id}/pause": {"reason": "attempt"},
        "/v1/accounts/{accountGroupId}/leads": {
            "defaultCountry": "AO",
            "leads": [{"phone": "+244990000009"}],
        },
        "/v1/accounts/{accountGroupId}/campaigns": {
            "name": "attempt",
            "senderId": a.tenant.remitter_id,
            "outreachLanguage": "en",
        },
        "/v1/accounts/{accountGroupId}/campaigns/{campaignId}/workflow": {
            "steps": [{"type": "send", "templates": {"en": "attempt"}}]
        },
        "/v1/accounts/{accountGroupId}/campaigns/{campaignId}/leads": {
            "leadIds": [a.ids.get("leadId")]
        },
        "/v1/campaigns/{campaign_id}": {"name": "attempt"},
        "/v1/campaigns/{campaign_id}/leads": {"leads": [{"phone_number": "+351912345679"}]},
    }
    if template == "/v1/accounts/{accountGroupId}/leads/import":
        return {"content": "phone\n+244990000009\n", "headers": {"Content-Type": "text/csv"}}
    return {"json": bodies[template]} if template in bodies else {}


# What A can see of its own resources, read before and after each attempt.
VIEWS = [
    "/c/v1/campaigns",
    "/c/v1/messages",
    "/c/v1/webhooks",
    "/v1/agents",
    "/v1/campaigns",
]
VOLATILE = re.compile(r'"(trace_id|traceId|timestamp)":\s*"[^"]*"')


def snapshot(a: Owner) -> str:
    views = list(VIEWS)
    if "endpoint_id" in a.ids:
        views.append(f"/c/v1/webhooks/{a.ids['endpoint_id']}/deliveries")
    if "accountGroupId" in a.ids:
        group = a.ids["accountGroupId"]
        views += [f"/v1/accounts/{group}/campaigns", f"/v1/accounts/{group}/leads"]
        if "campaignId" in a.ids:
            campaign = a.ids["campaignId"]
            views += [
                f"/v1/accounts/{group}/campaigns/{campaign}/workflow",
                f"/v1/accounts/{group}/campaigns/{campaign}/leads",
            ]
    seen = {}
    for view in views:
        response = a.herald.client.get(view, headers=a.headers)
        assert response.status_code == 200, (view, response.text)
        seen[view] = VOLATILE.sub("", response.text)
    return json.dumps(seen, sort_keys=True)


def operations_with_ids(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), template)
        for template, operations in document["paths"].items()
        for method in operations
        if "{" in template
    ]


def test_every_route_with_an_id_has_a_factory_here(herald: RunningHerald) -> None:
    templates = {t for _, t in operations_with_ids(herald.client.app.openapi())}
    assert templates - FACTORIES.keys() == set(), "add a factory for each new route"


def test_no_tenant_and_no_key_without_the_scope_reaches_a_resource_by_its_id(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(
        workers=False,
        webhook_allow_networks="127.0.0.0/8",
        read_rate_limit="100000/minute",  # A reads everything it owns around each attempt
        write_rate_limit="100000/minute",
    )
    a = Owner(herald, herald.tenant(name=f"{MARK} org"))
    other = herald.tenant(name="Other org")
    scopeless = herald.key(a.tenant, (tenancy.OPERATOR_CARRIERS_READ,))
    scopeless_id = _key_id(herald, scopeless)
    intruders = {
        "another tenant": {"X-API-KEY": other.api_key, "Authorization": f"Bearer {other.api_key}"},
        "a key without the scope": {"X-API-KEY": scopeless, "Authorization": f"Bearer {scopeless}"},
    }
    failures = []
    for method, template in operations_with_ids(herald.client.app.openapi()):
        params = FACTORIES[template](a)
        if template.endswith("{campaignId}/leads"):
            a.lead_id()  # the body names one of A's leads
        if "accountGroupId" in params and "scopeless-granted" not in a.ids:
            grant(herald, params["accountGroupId"], scopeless_id)  # only the scope is missing
            a.ids["scopeless-granted"] = "yes"
        path = template.format(**params)
        secrets = {v for k, v in a.ids.items() if k != "scopeless-granted"} | {MARK}
        for who, headers in intruders.items():
            before = snapshot(a)
            request = body_for(method, template, a)
            sent = {**request.pop("headers", {}), **headers}
            response = herald.client.request(method, path, headers=sent, **request)
            revealed = sorted(s for s in secrets if s.lower() in response.text.lower())
            expected = {403} if who == "a key without the scope" else {403, 404}
            after = snapshot(a)
            if response.status_code not in expected or revealed or after != before:
                failures.append(
                    f"{who}: {method} {template} -> {response.status_code} "
                    f"revealed={revealed} changed={_changes(before, after)} "
                    f"{response.text[:200]}"
                )
        if method != "DELETE":  # the resource is A's and the request well formed: A gets in
            request = body_for(method, template, a)
            sent = {**request.pop("headers", {}), **a.headers}
            own = herald.client.request(method, path, headers=sent, **request)
            if own.status_code in (400, 401, 403, 404, 422):
                failures.append(f"A itself: {method} {template} -> {own.status_code} {own.text}")
    assert not failures, "\n".join(failures)


def _changes(before: str, after: str) -> list[str]:
    old, new = json.loads(before), json.loads(after)
    return [
        f"{view}: {old.get(view)} -> {new.get(view)}" for view in new if old.get(view) != new[view]
    ]


def _key_id(herald: RunningHerald, secret: str) -> str:
    with herald.container.db.reading() as session:
        return str(tenancy.authenticate(session, secret).key_id)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
