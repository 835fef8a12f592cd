"""Configuring carrier connections and routes, from the command line as an operator does."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from herald.cli.main import app

ADD = [
    "connection",
    "add",
    "--name",
    "unitel-1",
    "--type",
    "smpp",
    "--host",
    "127.0.0.1",
    "--port",
    "2775",
    "--system-id",
    "herald",
    "--password",
    "secret",
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: object) -> CliRunner:
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_an_operator_adds_lists_and_removes_connections_and_routes(cli: CliRunner) -> None:
    added = cli.invoke(
        app, [*ADD, "--tps", "80", "--window", "20", "--bind", "transmitter+receiver", "--json"]
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["bind"] == "transmitter+receiver"
    listed = json.loads(cli.invoke(app, ["connection", "list", "--json"]).output)
    assert [(c["name"], c["tps"], c["window"]) for c in listed] == [("unitel-1", 80, 20)]
    assert "password" not in listed[0]

    route = cli.invoke(
        app,
        [
            "route",
            "add",
            "--connection",
            "unitel-1",
            "--country",
            "ao",
            "--carrier",
            "Unitel",
            "--prefix",
            "+2449",
            "--priority",
            "5",
            "--json",
        ],
    )
    assert route.exit_code == 0, route.output
    created = json.loads(route.output)
    assert (created["country"], created["carrier"], created["prefix"]) == ("AO", "UNITEL", "+2449")

    refused = cli.invoke(app, ["connection", "remove", "unitel-1"])
    assert refused.exit_code == 1
    assert "route" in refused.output
    assert cli.invoke(app, ["route", "remove", created["id"]]).exit_code == 0
    assert cli.invoke(app, ["connection", "remove", "unitel-1"]).exit_code == 0
    assert json.loads(cli.invoke(app, ["connection", "list", "--json"]).output) == []


def test_a_connection_with_impossible_settings_is_refused_with_every_reason(
    cli: CliRunner,
) -> None:
    result = cli.invoke(
        app,
        [
            "connection",
            "add",
            "--name",
            "x",
            "--host",
            "h",
            "--port",
            "70000",
            "--system-id",
            "s" * 20,
            "--password",
            "too-long-pw",
            "--bind",
            "both",
        ],
    )
    assert result.exit_code == 1
    for field in ("port", "system_id", "password", "bind"):
        assert field in result.output


def test_a_route_needs_a_known_connection_and_the_simulator_is_one(cli: CliRunner) -> None:
    unknown = cli.invoke(app, ["route", "add", "--connection", "nowhere"])
    assert unknown.exit_code == 1
    assert "No connection named nowhere" in unknown.output
    assert cli.invoke(app, ["route", "add", "--connection", "SIMULATOR"]).exit_code == 0
    assert cli.invoke(app, [*ADD]).exit_code == 0
    assert cli.invoke(app, [*ADD]).exit_code == 1  # the name is taken


def test_an_operator_changes_a_connection_in_place_and_bad_values_change_nothing(
    cli: CliRunner,
) -> None:
    assert cli.invoke(app, [*ADD, "--tps", "80"]).exit_code == 0
    changed = cli.invoke(
        app, ["connection", "update", "unitel-1", "--tps", "200", "--window", "30", "--json"]
    )
    assert changed.exit_code == 0, changed.output
    assert (json.loads(changed.output)["tps"], json.loads(changed.output)["window"]) == (200, 30)

    refused = cli.invoke(app, ["connection", "update", "unitel-1", "--tps", "0", "--port", "0"])
    assert refused.exit_code == 1
    assert "tps" in refused.output and "port" in refused.output
    [listed] = json.loads(cli.invoke(app, ["connection", "list", "--json"]).output)
    assert (listed["tps"], listed["window"], listed["port"]) == (200, 30, 2775)
    missing = cli.invoke(app, ["connection", "update", "nobody", "--tps", "5"])
    assert missing.exit_code == 1 and "No connection named nobody" in missing.output


WHATSAPP = [
    "connection",
    "add",
    "--name",
    "wa-main",
    "--type",
    "whatsapp",
    "--phone-number-id",
    "106540352242922",
    "--waba-id",
    "102290129340398",
    "--access-token",
    "EAAtoken",
    "--app-secret",
    "shh",
    "--verify-token",
    "herald-verify",
]


def test_an_operator_adds_a_whatsapp_connection_and_routes_whatsapp_messages_to_it(
    cli: CliRunner,
) -> None:
    added = cli.invoke(app, [*WHATSAPP, "--json"])
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["api_base_url"] == "https://graph.facebook.com/v21.0"  # pinned version
    assert shown["rate"] == 80.0
    assert "access_token" not in shown and "app_secret" not in shown
    sms_route = cli.invoke(app, ["route", "add", "--connection", "wa-main"])
    assert sms_route.exit_code == 1
    assert "channel_type" in sms_route.output
    route = cli.invoke(
        app, ["route", "add", "--connection", "wa-main", "--channel-type", "whatsapp", "--json"]
    )
    assert route.exit_code == 0, route.output
    assert json.loads(route.output)["channel_type"] == "WHATSAPP"


def test_a_whatsapp_connection_without_its_credentials_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(app, WHATSAPP[:-4])  # no --app-secret, no --verify-token
    assert result.exit_code != 0
    assert "--app-secret" in result.output and "--verify-token" in result.output
