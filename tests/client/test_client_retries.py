"""Retries, idempotency keys and typed errors of the client, against a small local HTTP
server that answers from a script (429 with Retry-After, 503, then 200), and against a
live Herald for the errors each dialect renders in its own envelope."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from client_kit import account_group, served
from herald.client import (
    AsyncHerald,
    Forbidden,
    Herald,
    HeraldConnectionError,
    InsufficientFunds,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
    Unauthorized,
    ValidationError,
)
from support import RunningHerald, free_port

CAMPAIGN_ID = "01a2344d-19c9-731a-9b7b-7b5b975f5902"
ACCEPTED = {"message": "Campaign accepted and is pending processing.", "campaign_id": CAMPAIGN_ID}
FAST = RetryPolicy(backoff=0.01, max_backoff=0.02)


class Script:
    """The answers the server gives, in order (the last one repeats), and what it saw."""

    def __init__(self, *answers: tuple[int, dict[str, str], Any]) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[float, str, dict[str, str]]] = []

    def next(self, method: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.seen.append((time.monotonic(), method, headers))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def scripted() -> Iterator[tuple[str, list[Script]]]:
    """A local HTTP server playing the script put in the yielded list."""
    current: list[Script] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, headers, body = current[0].next(self.command, dict(self.headers))
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", current
    server.shutdown()
    server.server_close()


def too_many(retry_after: str) -> tuple[int, dict[str, str], Any]:
    body = {"code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests.", "status": 429,
            "trace_id": "t-429", "timestamp": "", "service": "herald"}  # fmt: skip
    return 429, {"Retry-After": retry_after}, body


def batch(herald: Herald) -> Any:
    return herald.messaging.send_batch(
        name="x", remitter_id=CAMPAIGN_ID, content="hi", recipients=["+1", "+2"]
    )


def test_a_429_is_retried_after_the_wait_retry_after_asks_for_with_the_same_idempotency_key(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    current.append(Script(too_many("1"), (202, {}, ACCEPTED)))
    accepted = batch(Herald(url, "hk_test", retry=FAST))
    assert accepted.campaign_id == CAMPAIGN_ID
    (first, _, sent), (second, _, resent) = current[0].seen
    assert second - first >= 0.95  # Retry-After: 1, not the 0.01 s backoff
    assert sent["Idempotency-Key"] == resent["Idempotency-Key"]
    assert sent["X-API-KEY"] == "hk_test"


def test_server_errors_are_retried_with_backoff_then_succeed(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    failing = (503, {}, {"code": "UNAVAILABLE", "message": "busy", "status": 503})
    current.append(Script(failing, failing, (202, {}, ACCEPTED)))
    assert batch(Herald(url, "hk_test", retry=FAST)).campaign_id == CAMPAIGN_ID
    assert len({headers["Idempotency-Key"] for _, _, headers in current[0].seen}) == 1
    assert len(current[0].seen) == 3


def test_retries_are_bounded_and_end_in_the_typed_error(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    current.append(Script((500, {}, {"code": "INTERNAL", "message": "boom", "status": 500})))
    with pytest.raises(ServerError) as failed:
        Herald(
            url, "hk_test", retry=RetryPolicy(max_retries=2, backoff=0.01)
        ).messaging.get_campaign(CAMPAIGN_ID)
    assert failed.value.status == 500 and len(current[0].seen) == 3


def test_a_retry_after_longer_than_the_policy_allows_is_given_back_at_once(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    current.append(Script(too_many("3600")))
    with pytest.raises(RateLimited) as limited:
        batch(Herald(url, "hk_test", retry=FAST))
    assert limited.value.retry_after == 3600 and limited.value.trace_id == "t-429"
    assert len(current[0].seen) == 1


def test_a_given_idempotency_key_is_sent_as_is(scripted: tuple[str, list[Script]]) -> None:
    url, current = scripted
    current.append(Script((202, {}, ACCEPTED)))
    Herald(url, "hk_test").messaging.send_batch(
        name="x", remitter_id=CAMPAIGN_ID, content="hi", recipients=["+1", "+2"],
        idempotency_key="order-42",
    )  # fmt: skip
    assert current[0].seen[0][2]["Idempotency-Key"] == "order-42"


def test_gets_carry_no_idempotency_key_and_voice_calls_use_a_bearer_key(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    current.append(Script((200, {}, {"data": [], "has_more": False, "next_cursor": None})))
    assert Herald(url, "hk_test").voice.list_campaigns().items == []
    headers = current[0].seen[0][2]
    assert "Idempotency-Key" not in headers and headers["Authorization"] == "Bearer hk_test"


def test_the_async_client_honours_retry_after_too(scripted: tuple[str, list[Script]]) -> None:
    url, current = scripted
    current.append(Script(too_many("1"), (202, {}, ACCEPTED)))

    async def send() -> Any:
        async with AsyncHerald(url, "hk_test", retry=FAST) as herald:
            return await herald.messaging.send_batch(
                name="x", remitter_id=CAMPAIGN_ID, content="hi", recipients=["+1", "+2"]
            )

    assert asyncio.run(send()).campaign_id == CAMPAIGN_ID
    (first, _, sent), (second, _, resent) = current[0].seen
    assert second - first >= 0.95 and sent["Idempotency-Key"] == resent["Idempotency-Key"]


def test_a_server_nobody_answers_on_is_a_connection_error_after_the_retries() -> None:
    herald = Herald(f"http://127.0.0.1:{free_port()}", "hk_test", retry=FAST)
    with pytest.raises(HeraldConnectionError):
        herald.messaging.list_campaigns()


def test_each_dialect_s_errors_become_typed_exceptions_with_code_and_trace_id(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    broke = herald.tenant(balance="0", name="Broke")
    reader = herald.key(tenant, ("apikey:messages:read",))
    group_id = account_group(herald, tenant)
    missing = "01a2344d-19c9-731a-9b7b-7b5b975f5902"
    with served(herald) as url:
        client = Herald(url, tenant.api_key)
        with pytest.raises(NotFound) as not_found:
            client.messaging.get_campaign(missing)
        assert not_found.value.code == "NOT_FOUND" and not_found.value.trace_id
        with pytest.raises(ValidationError) as invalid:
            client.messaging.get_campaign("not-a-uuid")
        assert "campaign_id" in invalid.value.fields and invalid.value.status == 422
        with pytest.raises(Unauthorized) as unknown_key:
            Herald(url, "hk_live_nope").messaging.list_campaigns()
        assert unknown_key.value.code == "AUTH_INVALID_API_KEY"
        with pytest.raises(Forbidden) as no_scope:
            Herald(url, reader).messaging.list_campaigns()
        assert no_scope.value.status == 403
        with pytest.raises(InsufficientFunds) as no_money:
            Herald(url, broke.api_key).messaging.send_batch(
                name="x", remitter_id=broke.remitter_id, content="hi",
                recipients=["+244990000001", "+244990000002"],
            )  # fmt: skip
        assert no_money.value.status == 402 and no_money.value.trace_id

        group = client.outreach.group(group_id)
        with pytest.raises(ValidationError) as outreach_invalid:
            group.import_leads([{"phone": "990000001", "unknown": 1}])
        assert outreach_invalid.value.status == 400 and outreach_invalid.value.fields
        assert outreach_invalid.value.code == "VALIDATION_ERROR"
        with pytest.raises(NotFound) as outreach_missing:
            group.get_lead(missing)
        assert outreach_missing.value.code == "NOT_FOUND" and outreach_missing.value.trace_id

        with pytest.raises(NotFound) as voice_missing:
            client.voice.get_campaign("cmp_nothing")
        assert voice_missing.value.code == "not_found" and voice_missing.value.trace_id
        with pytest.raises(ValidationError) as voice_invalid:
            client.voice.add_phone_number("12")
        assert voice_invalid.value.code == "validation_error" and voice_invalid.value.fields


def test_the_batch_rate_limit_is_a_rate_limited_error_with_retry_after_when_not_retried(
    make_herald: Any,
) -> None:
    herald = make_herald(batch_rate_limit="1/minute")
    tenant = herald.tenant()
    with served(herald) as url:
        client = Herald(url, tenant.api_key, retry=RetryPolicy(max_retries=0))
        body = {"name": "x", "remitter_id": tenant.remitter_id, "content": "hi",
                "recipients": ["+244990000001", "+244990000002"]}  # fmt: skip
        client.messaging.send_batch(**body)
        with pytest.raises(RateLimited) as limited:
            client.messaging.send_batch(**body)
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 60
    assert limited.value.code == "RATE_LIMIT_EXCEEDED" and limited.value.trace_id


def test_a_key_still_in_use_by_the_first_attempt_is_retried_until_that_one_has_answered(
    scripted: tuple[str, list[Script]],
) -> None:
    url, current = scripted
    in_use = {"code": "IDEMPOTENCY_KEY_IN_USE", "message": "Still running.", "status": 409}
    current.append(Script((409, {}, in_use), (202, {}, ACCEPTED)))
    assert batch(Herald(url, "hk_test", retry=FAST)).campaign_id == CAMPAIGN_ID
    assert len({headers["Idempotency-Key"] for _, _, headers in current[0].seen}) == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    from email.utils import format_datetime

    from herald.client.core import parse_retry_after

    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert parse_retry_after("7") == 7.0
    assert 55 < (parse_retry_after(in_a_minute) or 0) <= 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
