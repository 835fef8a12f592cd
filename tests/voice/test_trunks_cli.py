"""An operator configures SIP trunks from the command line; caller numbers choose them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from herald.cli.main import app

ADD = [
    "voice",
    "trunk",
    "add",
    "--name",
    "carrier-1",
    "--host",
    "127.0.0.1",
    "--port",
    "5080",
    "--transport",
    "tcp",
    "--username",
    "herald",
    "--password",
    "s3cret",
    "--from-domain",
    "herald.example",
    "--max-channels",
    "20",
    "--cps",
    "5",
    "--json",
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: object) -> CliRunner:
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_an_operator_adds_updates_lists_and_removes_a_trunk(cli: CliRunner) -> None:
    added = cli.invoke(app, ADD)
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["transport"] == "tcp" and shown["password"] == "***"

    updated = cli.invoke(app, ["voice", "trunk", "update", "carrier-1", "--cps", "8", "--json"])
    assert updated.exit_code == 0, updated.output
    listed = json.loads(cli.invoke(app, ["voice", "trunk", "list", "--json"]).output)
    assert [(t["name"], t["max_channels"], t["cps"]) for t in listed] == [("carrier-1", 20, 8)]

    removed = cli.invoke(app, ["voice", "trunk", "remove", "carrier-1"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(cli.invoke(app, ["voice", "trunk", "list", "--json"]).output) == []


def test_bad_trunk_settings_are_refused_and_change_nothing(cli: CliRunner) -> None:
    bad = cli.invoke(app, [*ADD[:-1], "--transport", "sctp", "--cps", "0"])
    assert bad.exit_code != 0
    assert "transport" in bad.output and "cps" in bad.output
    assert json.loads(cli.invoke(app, ["voice", "trunk", "list", "--json"]).output) == []
    assert cli.invoke(
        app, ["voice", "trunk", "add", "--name", "VOICE_SIM", "--host", "h"]
    ).exit_code


def test_a_caller_number_chooses_its_trunk_which_cannot_be_removed_while_used(
    cli: CliRunner,
) -> None:
    org = json.loads(cli.invoke(app, ["tenant", "create", "--name", "Acme", "--json"]).output)
    number = ["voice", "number", "add", "--org", org["organization_id"], "--number"]
    unknown = cli.invoke(app, [*number, "+351211234567", "--provider", "carrier-1"])
    assert unknown.exit_code != 0 and "No trunk named carrier-1" in unknown.output

    assert cli.invoke(app, ADD).exit_code == 0
    used = cli.invoke(app, [*number, "+351211234567", "--provider", "carrier-1"])
    assert used.exit_code == 0, used.output
    refused = cli.invoke(app, ["voice", "trunk", "remove", "carrier-1"])
    assert refused.exit_code != 0 and "still use trunk" in refused.output
