"""herald account-group: creating account groups and granting keys access to them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from herald.cli.main import app
from support import RunningHerald


def test_an_operator_creates_a_group_and_grants_a_key_from_the_command_line(
    herald: RunningHerald, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    tenant = herald.tenant()
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["account-group", "create", "--org", tenant.organization_id, "--name", "Sales", "--json"],
    )
    assert created.exit_code == 0, created.output
    group = json.loads(created.output)
    assert group["api_key_ids"] == []
    url = f"/v1/accounts/{group['account_group_id']}/campaigns"
    assert herald.client.get(url, headers=tenant.headers).status_code == 403
    granted = runner.invoke(
        app,
        ["account-group", "grant", "--group", group["account_group_id"], "--key", tenant.key_id],
    )
    assert granted.exit_code == 0, granted.output
    assert herald.client.get(url, headers=tenant.headers).status_code == 200
    listed = runner.invoke(
        app, ["account-group", "list", "--org", tenant.organization_id, "--json"]
    )
    assert json.loads(listed.output)[0]["api_key_ids"] == tenant.key_id
    revoked = runner.invoke(
        app,
        ["account-group", "revoke", "--group", group["account_group_id"], "--key", tenant.key_id],
    )
    assert revoked.exit_code == 0
    assert herald.client.get(url, headers=tenant.headers).status_code == 403
    other = runner.invoke(
        app,
        [
            "account-group",
            "grant",
            "--group",
            group["account_group_id"],
            "--key",
            group["account_group_id"],
        ],
    )
    assert other.exit_code == 1
