"""Mailboxes are email connections an operator adds from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald.cli.main import app
from herald.routing import service as routing
from mail_servers import DkimKey

MAILBOX = [
    "connection",
    "add",
    "--name",
    "sales-1",
    "--type",
    "email",
    "--smtp-host",
    "smtp.example.com",
    "--smtp-port",
    "587",
    "--smtp-security",
    "starttls",
    "--username",
    "ana@example.com",
    "--password",
    "a long mailbox password",
    "--from",
    "Ana Lima <ana@example.com>",
    "--imap-host",
    "imap.example.com",
    "--imap-port",
    "993",
    "--daily-cap",
    "200",
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    monkeypatch.setenv("HERALD_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_an_operator_adds_a_mailbox_with_a_dkim_key(cli: CliRunner, tmp_path: Path) -> None:
    key_file = tmp_path / "dkim.pem"
    key_file.write_text(DkimKey.generate(selector="herald").private_pem)
    dkim = ["--dkim-domain", "example.com", "--dkim-selector", "herald"]
    added = cli.invoke(app, [*MAILBOX, *dkim, "--dkim-key-file", str(key_file), "--json"])
    assert added.exit_code == 0, added.output
    listed = json.loads(cli.invoke(app, ["connection", "list", "--json"]).output)
    assert listed == [
        {
            "name": "sales-1",
            "type": "email",
            "from": "Ana Lima <ana@example.com>",
            "smtp": "smtp.example.com:587",
            "imap": "imap.example.com:993",
            "daily_cap": 200,
            "dkim": "example.com",
        }
    ]
    from herald.kit.db import Database, create_engine_for
    from herald.settings import Settings

    with Database(create_engine_for(Settings().effective_database_url)).reading() as session:
        mailbox = routing.mailboxes(session)["sales-1"]
    assert mailbox.password == "a long mailbox password"
    assert mailbox.dkim_key is not None and "PRIVATE KEY" in mailbox.dkim_key
    changed = cli.invoke(app, ["connection", "update", "sales-1", "--tps", "5"])
    assert changed.exit_code == 1
    assert "removing and adding it again" in changed.stderr


def test_a_mailbox_with_impossible_settings_is_refused_with_every_reason(
    cli: CliRunner,
) -> None:
    bad = [*MAILBOX]
    bad[bad.index("--smtp-security") + 1] = "ssl3"
    bad[bad.index("--from") + 1] = "not an address"
    result = cli.invoke(app, [*bad, "--dkim-domain", "example.com"])
    assert result.exit_code == 1
    for field in ("smtp_security", "from", "dkim"):
        assert field in result.stderr, result.stderr
    assert json.loads(cli.invoke(app, ["connection", "list", "--json"]).output) == []
