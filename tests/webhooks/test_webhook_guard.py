"""Webhook URLs may not reach private, loopback or link-local addresses unless the
operator allows those networks (HERALD_WEBHOOK_ALLOW_NETWORKS)."""

from __future__ import annotations

import ipaddress
import time

import pytest

from herald.webhooks.guard import AddressGuard, UnsafeUrl
from herald.webhooks.sender import HttpSender
from support import HeraldFactory
from webhook_receiver import LOOPBACK, Receiver

REFUSED = [
    "http://127.0.0.1:8080/hooks",
    "http://localhost/hooks",
    "http://[::1]/hooks",
    "http://10.1.2.3/hooks",
    "http://172.16.0.5/hooks",
    "http://192.168.1.10/hooks",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://[fe80::1]/hooks",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_urls_are_refused_by_default(url: str) -> None:
    with pytest.raises(Exception, match="may not reach"):
        AddressGuard().check_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@127.0.0.1/", "nonsense"]
)
def test_only_plain_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(Exception, match="URL"):
        AddressGuard.from_setting(LOOPBACK).check_url(url)


def test_public_addresses_are_allowed_and_operators_may_allow_more() -> None:
    public = ipaddress.ip_address("93.184.216.34")
    assert AddressGuard().permits(public)
    assert not AddressGuard().permits(ipaddress.ip_address("127.0.0.1"))
    guard = AddressGuard.from_setting("127.0.0.0/8, 10.0.0.0/8")
    assert guard.permits(ipaddress.ip_address("127.0.0.1"))
    assert guard.permits(ipaddress.ip_address("10.9.8.7"))
    assert not guard.permits(ipaddress.ip_address("192.168.0.1"))


def test_registering_a_loopback_url_is_a_validation_error(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    response = herald.client.post(
        "/c/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["message.status_changed"]},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "loopback" in body["fields"]["url"]


def test_the_guard_also_holds_when_connecting(receiver: Receiver) -> None:
    # Checked again on the resolved address at connect time, so a URL registered while
    # allowed, or a name whose DNS answer changed since, still cannot reach inside.
    sender = HttpSender(AddressGuard(), timeout=2)
    try:
        answer = sender.post(receiver.url, {"webhook-id": "msg_x"}, b"{}")
    finally:
        sender.close()
    assert answer.status_code is None and "may not reach" in (answer.error or "")
    assert receiver.received == []
    allowed = HttpSender(AddressGuard.from_setting(LOOPBACK), timeout=2)
    try:
        assert allowed.post(receiver.url, {"webhook-id": "msg_x"}, b"{}").status_code == 204
    finally:
        allowed.close()


def test_a_host_whose_lookup_hangs_is_refused_after_the_resolve_timeout() -> None:
    def stuck(*_args: object, **_kwargs: object) -> list[object]:
        time.sleep(2)
        return []

    guard = AddressGuard(resolve_timeout=0.1, resolver=stuck)
    started = time.monotonic()
    with pytest.raises(UnsafeUrl, match=r"did not resolve within 0\.1 s"):
        guard.check_url("https://hooks.example.com/herald")
    assert time.monotonic() - started < 1.0
