"""Deliveries follow the Standard Webhooks spec: a receiver verifies them with the
`standardwebhooks` library or with svix's verifier, and rejects anything altered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks
import svix.webhooks

from herald.kit.clock import ManualClock
from support import HeraldFactory, RunningHerald, wait_until
from webhook_receiver import LOOPBACK, Received, Receiver, register

NUMBERS = ["+244990000001", "+244990000002"]


def first_delivery(herald: RunningHerald, receiver: Receiver) -> tuple[Received, str]:
    tenant = herald.tenant()
    secret = register(herald, tenant, receiver.url, "campaign.status_changed")["secret"]
    assert herald.batch(tenant, NUMBERS).status_code == 202
    wait_until(lambda: receiver.received)
    return receiver.received[0], secret


def test_a_delivery_verifies_with_standardwebhooks_and_with_svix(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    received, secret = first_delivery(herald, receiver)
    assert secret.startswith("whsec_")
    payload = standardwebhooks.Webhook(secret).verify(received.body, received.headers)
    svix.webhooks.Webhook(secret).verify(received.body, received.headers)
    assert payload["type"] == "campaign.status_changed"
    assert payload["data"]["status"] == "SENDING"
    assert received.headers["webhook-id"].startswith("msg_")
    assert received.headers["content-type"] == "application/json"


def test_a_tampered_body_or_a_wrong_secret_fails_verification(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    received, secret = first_delivery(herald, receiver)
    tampered = received.body.replace(b"SENDING", b"COMPLETED")
    assert tampered != received.body
    for verifier in (standardwebhooks.Webhook(secret), svix.webhooks.Webhook(secret)):
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            verifier.verify(tampered, received.headers)
    other_secret = register(herald, herald.tenant(name="Other"), receiver.url)["secret"]
    for verifier in (standardwebhooks.Webhook(other_secret), svix.webhooks.Webhook(other_secret)):
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            verifier.verify(received.body, received.headers)


def test_a_stale_timestamp_fails_verification(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    # Herald's clock says ten minutes ago: the signature is right, the timestamp too old.
    clock = ManualClock(datetime.now(UTC) - timedelta(minutes=10))
    herald = make_herald(clock=clock, webhook_allow_networks=LOOPBACK)
    received, secret = first_delivery(herald, receiver)
    assert received.signed_by(secret)
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="too old"):
        standardwebhooks.Webhook(secret).verify(received.body, received.headers)
    with pytest.raises(svix.webhooks.WebhookVerificationError, match="too old"):
        svix.webhooks.Webhook(secret).verify(received.body, received.headers)
