"""Every CLI error is one plain line on stderr and a non-zero exit: an unknown
organization, account, key, group, endpoint, connection or route is named as such (no
traceback, no SQL, no empty table with exit 0), and an unexpected failure says how to see
its traceback."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from herald.cli.main import app
from herald.kit.ids import new_id
from herald.voice import public_ids

UNKNOWN = str(new_id())
OTHER = str(new_id())
UNKNOWN_CAMPAIGN = public_ids.encode(public_ids.CAMPAIGN, new_id())

COMMANDS_WITH_UNKNOWN_IDS = [
    ["remitter", "create", "--org", UNKNOWN, "--name", "Acme"],
    ["remitter", "list", "--org", UNKNOWN],
    ["key", "create", "--org", UNKNOWN],
    ["key", "list", "--org", UNKNOWN],
    ["key", "revoke", UNKNOWN],
    ["voice", "number", "add", "--org", UNKNOWN, "--number", "+351211234567"],
    ["voice", "number", "list", "--org", UNKNOWN],
    [
        "voice",
        "agent",
        "create",
        "--org",
        UNKNOWN,
        "--name",
        "A",
        "--greeting",
        "Hi",
        "--message",
        "M",
    ],
    ["voice", "campaigns", "--org", UNKNOWN],
    ["voice", "calls", "--org", UNKNOWN, UNKNOWN_CAMPAIGN],
    [
        "webhook",
        "create",
        "--org",
        UNKNOWN,
        "--url",
        "https://example.com/h",
        "--event",
        "campaign.status_changed",
    ],
    ["webhook", "list", "--org", UNKNOWN],
    ["webhook", "deliveries", UNKNOWN, "--org", UNKNOWN],
    ["webhook", "enable", UNKNOWN, "--org", UNKNOWN],
    ["webhook", "delete", UNKNOWN, "--org", UNKNOWN],
    ["webhook", "replay", UNKNOWN, OTHER, "--org", UNKNOWN],
    ["account-group", "create", "--org", UNKNOWN, "--name", "Sales"],
    ["account-group", "list", "--org", UNKNOWN],
    ["account-group", "grant", "--group", UNKNOWN, "--key", OTHER],
    ["account-group", "revoke", "--group", UNKNOWN, "--key", OTHER],
    ["wallet", "topup", "--account", UNKNOWN, "--amount", "5"],
    ["wallet", "show", "--account", UNKNOWN],
    ["connection", "remove", "no-such-connection"],
    ["connection", "update", "no-such-connection", "--tps", "5"],
    ["route", "remove", UNKNOWN],
    ["carrier", "remove", "--prefix", "+99999"],
    ["key", "list", "--org", "not-a-uuid"],
    ["voice", "calls", "--org", UNKNOWN, "not-a-campaign"],
    # Values that are not what they should be are refused the same way.
    ["tenant", "create", "--name", "Acme", "--balance", "lots"],
    ["price", "set", "--price", "cheap"],
    ["wallet", "topup", "--account", UNKNOWN, "--amount", "-5"],
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: object) -> CliRunner:
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    return CliRunner()


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for leak in ("Traceback", "SELECT", "INSERT", "IntegrityError", "sqlalchemy"):
        assert leak not in lines[0]
    return lines[0]


def test_every_command_given_an_unknown_id_or_a_bad_value_answers_one_line_and_fails(
    cli: CliRunner,
) -> None:
    for command in COMMANDS_WITH_UNKNOWN_IDS:
        result = cli.invoke(app, command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stdout == "", (command, result.stdout)
        line = one_error_line(result.stderr)
        assert any(word in line for word in ("No ", "not ", "must be", "Not ")), (command, line)


def test_an_unknown_organization_is_named(cli: CliRunner) -> None:
    result = cli.invoke(app, ["remitter", "create", "--org", UNKNOWN, "--name", "Acme"])
    assert one_error_line(result.stderr) == f"error: No organization with id {UNKNOWN}."


def test_a_known_organization_still_works(cli: CliRunner) -> None:
    created = cli.invoke(app, ["tenant", "create", "--name", "Acme", "--json"])
    assert created.exit_code == 0, created.output
    org = __import__("json").loads(created.stdout)["organization_id"]
    assert cli.invoke(app, ["key", "list", "--org", org, "--json"]).exit_code == 0
    assert cli.invoke(app, ["voice", "campaigns", "--org", org, "--json"]).stdout.strip() == "[]"


def test_an_unexpected_failure_is_one_line_with_a_hint_and_debug_shows_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("HERALD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(app, ["key", "list", "--org", str(uuid.uuid4())])
    assert result.exit_code == 1
    line = one_error_line(result.stderr)
    assert "unexpected error (OperationalError)" in line and "--debug" in line
    debug = runner.invoke(app, ["--debug", "key", "list", "--org", str(uuid.uuid4())])
    assert debug.exit_code == 1 and type(debug.exception).__name__ == "OperationalError"
