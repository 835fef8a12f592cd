"""Prometheus metrics shared by every domain (served at /metrics). Define a metric here
once, import it where the event happens."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
provider_submit_errors = Counter(
    "herald_provider_submit_errors_total",
    "Submit batches that failed as a whole (the connection or the provider broke).",
    ["provider"],
    registry=REGISTRY,
)

# -- HTTP ----------------------------------------------------------------------------------------
http_requests = Counter(
    "herald_http_requests_total",
    "HTTP requests, by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
http_request_seconds = Histogram(
    "herald_http_request_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    registry=REGISTRY,
)
rate_limited = Counter(
    "herald_rate_limited_total",
    "Requests refused with 429, by route class.",
    ["route_class"],
    registry=REGISTRY,
)
idempotent_replays = Counter(
    "herald_idempotent_replays_total",
    "POSTs answered from a stored first response (same Idempotency-Key and body).",
    registry=REGISTRY,
)

# -- money ---------------------------------------------------------------------------------------
wallet_debits = Counter(
    "herald_wallet_debits_total", "Wallet debits (one per campaign or message).", registry=REGISTRY
)
wallet_debited_micros = Counter(
    "herald_wallet_debited_micros_total", "Sum of wallet debits, in micro-units.", registry=REGISTRY
)
wallet_refunds = Counter(
    "herald_wallet_refunds_total", "Wallet refunds (one per failed message).", registry=REGISTRY
)
wallet_refunded_micros = Counter(
    "herald_wallet_refunded_micros_total",
    "Sum of wallet refunds, in micro-units.",
    registry=REGISTRY,
)

# -- webhooks ------------------------------------------------------------------------------------
webhook_attempts = Counter(
    "herald_webhook_attempts_total",
    "Webhook delivery attempts, by outcome (succeeded: a 2xx answer).",
    ["outcome"],
    registry=REGISTRY,
)
webhook_attempt_seconds = Histogram(
    "herald_webhook_attempt_seconds",
    "Time a webhook endpoint took to answer one delivery attempt.",
    registry=REGISTRY,
)
smpp_parts_resent = Counter(
    "herald_smpp_parts_resent_total",
    "submit_sm parts sent again after a try whose outcome is unknown (unanswered: the link "
    "dropped or the response timed out; or the process that tried died before recording "
    "the answer): possible duplicates, by connection.",
    ["connection"],
    registry=REGISTRY,
)
smpp_throttled = Counter(
    "herald_smpp_throttled_total",
    "submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL (sent again later), by connection.",
    ["connection"],
    registry=REGISTRY,
)
smpp_binds = Counter(
    "herald_smpp_binds_total",
    "Bind attempts of SMPP connections, by connection and outcome (bound, failed).",
    ["connection", "outcome"],
    registry=REGISTRY,
)
smpp_bound = Gauge(
    "herald_smpp_bound",
    "1 while this process is bound to the connection's SMSC, 0 while it is not.",
    ["connection"],
    registry=REGISTRY,
)
inbound_received = Counter(
    "herald_inbound_received_total",
    "Mobile-originated messages received, by what they did (reply, opt_out, opt_in).",
    ["kind"],
    registry=REGISTRY,
)
voice_calls_placed = Counter(
    "herald_voice_calls_placed_total",
    "Calls handed to a voice provider, by provider and answer (ACCEPTED, REJECTED, RETRY).",
    ["provider", "outcome"],
    registry=REGISTRY,
)
voice_calls_ended = Counter(
    "herald_voice_calls_ended_total",
    "Calls that ended, by final status (completed, voicemail, busy, no_answer, failed).",
    ["status"],
    registry=REGISTRY,
)
