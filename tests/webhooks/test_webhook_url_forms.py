"""Webhook URLs that lead back inside through an IPv6 form embedding an IPv4 address, or
that are malformed (spaces, line breaks, control characters, port 0), are refused when
registered (API and CLI) and, for addresses, again when a connection is opened. IPv6
literals are sent with a bracketed Host header. Any port 1-65535 is allowed."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from typer.testing import CliRunner

from herald.cli.main import app
from herald.webhooks.guard import AddressGuard, UnsafeUrl
from herald.webhooks.sender import HttpSender
from support import HeraldFactory
from webhook_receiver import Receiver

# IPv6 addresses whose packets end at a loopback or private IPv4 address (or, for Teredo
# and local-use NAT64, at a destination the address does not tell).
EMBEDDING_INSIDE = {
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "IPv4-translated loopback": "::ffff:0:7f00:1",
    "IPv4-compatible loopback": "::127.0.0.1",
    "IPv4-compatible private": "::192.168.1.1",
    "NAT64 loopback": "64:ff9b::7f00:1",
    "NAT64 private": "64:ff9b::a9fe:a9fe",
    "6to4 loopback": "2002:7f00:1::1",
    "6to4 private": "2002:ac10:5::1",
    "Teredo": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "local-use NAT64": "64:ff9b:1::808:808",
}
MALFORMED = {
    "CR LF": "https://hooks.example.com/a\r\nX-Injected: 1",
    "LF": "https://hooks.example.com/a\nb",
    "space": "https://hooks.example.com/a b",
    "tab": "https://hooks.example.com/\ta",
    "control character": "https://hooks.example.com/a\x07",
    "port 0": "https://hooks.example.com:0/a",
}
REFUSED_URLS = {
    **{name: f"http://[{address}]:8080/hooks" for name, address in EMBEDDING_INSIDE.items()},
    **MALFORMED,
}


@pytest.mark.parametrize("url", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
def test_registering_an_embedded_inside_address_or_a_malformed_url_is_refused(
    make_herald: HeraldFactory, url: str
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    response = herald.client.post(
        "/c/v1/webhooks",
        json={"url": url, "event_types": ["message.status_changed"]},
        headers=tenant.headers,
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["fields"]) == {"url"}
    assert herald.client.get("/c/v1/webhooks", headers=tenant.headers).json()["data"] == []


def test_the_cli_refuses_the_same_urls_in_one_line(
    make_herald: HeraldFactory, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    for name, url in REFUSED_URLS.items():
        command = ["webhook", "create", "--org", tenant.organization_id, "--url", url]
        result = CliRunner().invoke(app, [*command, "--event", "message.status_changed"])
        assert result.exit_code == 1, (name, result.output)
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: url: "), (name, line)


@pytest.mark.parametrize("address", EMBEDDING_INSIDE.values(), ids=EMBEDDING_INSIDE.keys())
def test_a_name_resolving_to_an_embedded_inside_address_is_refused_on_connect(
    address: str,
) -> None:
    def answers(*_args: Any, **_kwargs: Any) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 443, 0, 0))]

    guard = AddressGuard(resolver=answers)
    with pytest.raises(UnsafeUrl, match="may not reach"):
        guard.check_url("https://hooks.example.com/herald")
    sender = HttpSender(guard, timeout=2)
    try:
        answer = sender.post("https://hooks.example.com/herald", {"webhook-id": "msg_x"}, b"{}")
    finally:
        sender.close()
    assert answer.status_code is None and "may not reach" in (answer.error or "")


def test_public_ipv6_forms_and_any_port_are_accepted() -> None:
    guard = AddressGuard()
    for url in (
        "https://[::ffff:8.8.8.8]/hooks",
        "https://[64:ff9b::808:808]:8443/hooks",
        "https://[2002:808:808::1]:65535/hooks",
        "https://[2606:4700:4700::1111]:1/hooks",
    ):
        guard.check_url(url)


def test_an_ipv6_literal_is_sent_with_a_bracketed_host_header() -> None:
    receiver = Receiver(host="::1").start()
    sender = HttpSender(AddressGuard.from_setting("::1/128"), timeout=2)
    try:
        answer = sender.post(receiver.url, {"webhook-id": "msg_x"}, b"{}")
    finally:
        sender.close()
        receiver.stop()
    assert answer.status_code == 204, answer.error
    assert receiver.received[0].headers["host"] == f"[::1]:{receiver.port}"
