"""Prometheus metrics shared by every domain (served at /metrics). Define a metric here
once, import it where the event happens."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

messages_submitted = Counter(
    "herald_messages_submitted_total",
    "Messages handed to a provider, by provider and outcome.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
messages_resent = Counter(
    "herald_messages_resent_total",
    "Messages handed over again because an earlier hand-over had an unknown outcome.",
    ["provider"],
    registry=REGISTRY,
)
provider_submit_seconds = Histogram(
    "herald_provider_submit_seconds",
    "Time a provider took to answer one submit batch.",
    ["provider"],
    registry=REGISTRY,
)
receipts_received = Counter(
    "herald_receipts_received_total",
    "Delivery receipts received, by provider and status.",
    ["provider", "status"],
    registry=REGISTRY,
)
