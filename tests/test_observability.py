"""Operating Herald: every log line of a request carries its trace id (the one in error
bodies, taken from `traceparent` when given) and /metrics shows what an operator needs."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from herald.billing import service as billing
from herald.kit import metrics
from herald.kit.clock import ManualClock
from herald.kit.logging import configure_logging, flush_logs, stop_logging
from support import HeraldFactory, RunningHerald, wait_until

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
NUMBERS = ["+244990000001", "+244990000002", "+244990000999"]


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """Herald's production log format, captured; the default configuration afterwards."""
    stream = io.StringIO()
    configure_logging("json", stream=stream)

    def lines() -> list[dict[str, Any]]:
        flush_logs()  # lines are written by a background thread
        return [json.loads(line) for line in stream.getvalue().splitlines() if line]

    yield lines
    stop_logging()
    structlog.reset_defaults()


def test_the_trace_id_of_a_traceparent_is_in_the_headers_the_error_body_and_the_logs(
    make_herald: HeraldFactory, json_logs: Any
) -> None:
    herald = make_herald(workers=False, webhook_allow_networks="127.0.0.0/8")
    tenant = herald.tenant()
    headers = {**tenant.headers, "traceparent": TRACEPARENT}
    failed = herald.client.get("/c/v1/campaigns/not-a-uuid", headers=headers)
    assert failed.status_code == 422
    assert failed.json()["trace_id"] == TRACE_ID == failed.headers["X-Trace-Id"]
    registered = herald.client.post(
        "/c/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["campaign.status_changed"]},
        headers=headers,
    )
    assert registered.status_code == 201
    lines = json_logs()
    ours = [line for line in lines if line.get("trace_id") == TRACE_ID]
    events = [line["event"] for line in ours]
    # The access log line, and a line written by the service in the worker thread.
    assert events.count("http.request") == 2 and "webhook.endpoint_registered" in events
    access = next(line for line in ours if line["event"] == "http.request")
    assert access["status"] == 422 and access["route"] == "/c/v1/campaigns/{campaign_id}"
    assert {"timestamp", "level", "logger"} <= access.keys()


def test_without_traceparent_each_request_gets_its_own_trace_id(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    first = herald.client.get("/c/v1/campaigns")
    second = herald.client.get("/c/v1/campaigns")
    assert first.json()["trace_id"] == first.headers["X-Trace-Id"]
    assert len(first.headers["X-Trace-Id"]) == 32
    assert first.headers["X-Trace-Id"] != second.headers["X-Trace-Id"]


def scrape(herald: RunningHerald) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = herald.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_show_requests_campaigns_messages_queues_providers_and_money(
    herald: RunningHerald,
) -> None:
    before = scrape(herald)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    wait_until(
        lambda: all(m["status"] != "SENT" for m in herald.messages(tenant, campaign_id=campaign_id))
    )
    after = scrape(herald)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    batch = {"route": "/c/v1/campaigns/batch", "method": "POST", "status": "202"}
    assert grew("herald_http_requests_total", **batch) == 1
    assert grew("herald_http_request_seconds_count", route=batch["route"], method="POST") == 1
    assert value(after, "herald_campaigns", status="COMPLETED") == 1
    assert value(after, "herald_messages", status="DELIVERED") == 2
    assert value(after, "herald_messages", status="UNDELIVERED") == 1
    assert value(after, "herald_queue_depth", queue="dispatch") == 0
    assert grew("herald_provider_submit_seconds_count", provider="SIMULATOR") >= 1
    assert grew("herald_messages_submitted_total", provider="SIMULATOR", outcome="ACCEPTED") == 3
    assert grew("herald_wallet_debits_total") == 1
    assert grew("herald_wallet_refunds_total") == 1
    assert grew("herald_wallet_refunded_micros_total") == 50_000


def test_queue_depth_and_age_show_work_that_waits(make_herald: HeraldFactory) -> None:
    clock = ManualClock()
    herald = make_herald(workers=False, clock=clock)
    tenant = herald.tenant()
    assert herald.batch(tenant, NUMBERS).status_code == 202
    clock.advance(seconds=90)
    samples = scrape(herald)
    assert value(samples, "herald_queue_depth", queue="expand") == 1
    assert value(samples, "herald_queue_oldest_age_seconds", queue="expand") == 90
    assert value(samples, "herald_queue_depth", queue="webhooks") == 0
    assert value(samples, "herald_campaigns", status="PROCESSING") == 1


def test_money_counters_count_only_what_was_committed(herald: RunningHerald) -> None:
    c = herald.container
    tenant = herald.tenant(balance="10")
    account = uuid.UUID(tenant.billing_account_id)
    before = metrics.wallet_debited_micros._value.get()

    with pytest.raises(RuntimeError), c.db.transaction() as session:
        billing.debit(session, c.clock, account, 1_000, "debit:test:rolled-back", "test")
        raise RuntimeError("the rest of the unit of work failed")
    assert metrics.wallet_debited_micros._value.get() == before

    with c.db.transaction() as session:
        billing.debit(session, c.clock, account, 1_000, "debit:test:kept", "test")
    assert metrics.wallet_debited_micros._value.get() == before + 1_000
