"""Registering, listing and deleting webhook endpoints, through the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald.cli.main import app as cli
from herald.tenancy import service as tenancy
from support import HeraldFactory
from webhook_receiver import LOOPBACK, Receiver, register


def test_an_endpoint_is_registered_listed_shown_and_deleted(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(workers=False, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    created = register(herald, tenant, receiver.url, "message.status_changed")
    assert created["status"] == "ENABLED"
    assert created["event_types"] == ["message.status_changed"]
    assert created["secret"].startswith("whsec_")
    listed = herald.client.get("/c/v1/webhooks", headers=tenant.headers).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]  # shown once, at creation
    other = herald.tenant(name="Other")
    assert herald.client.get("/c/v1/webhooks", headers=other.headers).json()["data"] == []
    path = f"/c/v1/webhooks/{created['id']}"
    assert herald.client.get(path, headers=other.headers).status_code == 404
    assert herald.client.delete(path, headers=tenant.headers).status_code == 204
    assert herald.client.get(path, headers=tenant.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/h", "event_types": ["campaign.exploded"]}, "event_types"),
        ({"url": "http://127.0.0.1:9/h", "event_types": []}, "event_types"),
        ({"url": "gopher://127.0.0.1/h", "event_types": ["campaign.status_changed"]}, "url"),
        ({"event_types": ["campaign.status_changed"]}, "url"),
    ],
)
def test_a_bad_registration_is_a_validation_error_naming_the_field(
    make_herald: HeraldFactory, body: dict[str, object], field: str
) -> None:
    herald = make_herald(workers=False, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    response = herald.client.post("/c/v1/webhooks", json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]


def test_managing_webhooks_needs_its_own_scope(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    key = herald.key(tenant, (tenancy.CAMPAIGN_READ,))
    response = herald.client.get("/c/v1/webhooks", headers={"X-API-KEY": key})
    assert response.status_code == 403
    assert response.json()["code"] == "AUTH_INSUFFICIENT_SCOPE"


def test_the_cli_registers_lists_and_deletes_endpoints(
    make_herald: HeraldFactory, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    monkeypatch.setenv("HERALD_DATABASE_URL", herald.container.settings.effective_database_url)
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HERALD_WEBHOOK_ALLOW_NETWORKS", LOOPBACK)
    runner = CliRunner()
    org = ["--org", tenant.organization_id]
    created = runner.invoke(
        cli,
        [
            "webhook",
            "create",
            *org,
            "--url",
            receiver.url,
            "--event",
            "campaign.status_changed",
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    endpoint = json.loads(created.output)
    assert endpoint["secret"].startswith("whsec_")
    listed = runner.invoke(cli, ["webhook", "list", *org, "--json"])
    assert [e["id"] for e in json.loads(listed.output)] == [endpoint["id"]]
    log = runner.invoke(cli, ["webhook", "deliveries", endpoint["id"], *org, "--json"])
    assert json.loads(log.output) == []
    refused = runner.invoke(
        cli, ["webhook", "create", *org, "--url", "http://10.0.0.1/", "--event", "x.y"]
    )
    assert refused.exit_code == 1
    deleted = runner.invoke(cli, ["webhook", "delete", endpoint["id"], *org])
    assert deleted.exit_code == 0
    assert json.loads(runner.invoke(cli, ["webhook", "list", *org, "--json"]).output) == []
