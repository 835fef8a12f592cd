"""Typed resources of the three API families, as the server shows them. Unknown fields are
kept (`extra="allow"`), so a newer server never breaks an older client."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Resource(BaseModel):
    # defer_build: a model builds its validator on first use, not at import time.
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class CamelResource(Resource):
    """The outreach dialect spells its fields in camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# -- messaging (/c/v1) ------------------------------------------------------------------------


class Template(BaseModel):
    """A WhatsApp message template to send (`template` on a WHATSAPP batch or message): one
    synced and APPROVED at Meta, with as many body and header parameters as it takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    language: str  # Meta's code: en_US, pt_BR
    parameters: list[str] = []
    header_parameters: list[str] = []


class Remitter(Resource):
    id: str
    name: str


class BatchAccepted(Resource):
    message: str
    campaign_id: str


class Campaign(Resource):
    """A batch (SMS) campaign; `data` holds the live tallies per message status."""

    id: str
    name: str
    status: str
    organization_id: str
    billing_account_id: str
    trigger_source: str
    channel_type: str
    sms_remitter_id: str | None
    sms_remitter: Remitter | None
    content: str
    total_estimated_recipients: int
    scheduled_at: datetime | None
    processed_at: datetime | None
    completed_at: datetime | None
    error_code: str | None
    status_note: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime | None


class Message(Resource):
    id: str
    organization_id: str
    billing_account_id: str
    campaign_id: str | None
    contact_id: str | None
    sms_remitter_id: str | None
    sms_remitter: Remitter | None = None
    external_id: str | None
    channel_type: str
    channel_destination: str
    provider_name: str | None
    e164_format: str
    content: str
    trigger_source: str
    cost: Decimal
    is_refunded: bool
    status: str
    error_code: str | None
    created_at: datetime
    updated_at: datetime


class MessagePart(Resource):
    part_number: int
    parts_total: int
    carrier_message_id: str | None
    status: str | None
    error_code: str | None
    resends: int


class DroppedRecipient(Resource):
    position: int
    recipient: str
    e164_format: str | None
    reason: str


class InboundMessage(Resource):
    id: str
    organization_id: str
    from_number: str
    to_number: str
    content: str
    action: str | None
    provider_name: str
    received_at: datetime


class WebhookEndpoint(Resource):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str


class WebhookAttempt(Resource):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class WebhookDelivery(Resource):
    id: str
    webhook_id: str
    event_type: str
    resource_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    payload: dict[str, Any]
    attempt_log: list[WebhookAttempt]


class WhatsAppTemplate(Resource):
    connection: str
    name: str
    language: str
    status: str
    category: str
    body: str
    header: str | None
    parameters: int
    header_parameters: int
    synced_at: datetime


class Connection(Resource):
    id: str
    name: str
    type: str
    host: str
    port: int
    system_id: str
    tps: int
    window: int
    bind_mode: str
    bound: bool | None


class Trunk(Resource):
    id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    from_domain: str | None
    max_channels: int
    cps: int


class Route(Resource):
    id: str
    connection_name: str
    country_alpha2: str | None
    carrier: str | None
    prefix: str | None
    priority: int


# -- outreach (/v1/accounts/{accountGroupId}) -------------------------------------------------


class AccountGroup(CamelResource):
    id: str
    name: str
    created_at: datetime


class Lead(CamelResource):
    id: str
    phone: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    language: str | None
    time_zone: str
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RejectedLead(CamelResource):
    index: int
    phone: str
    reason: str


class LeadImport(CamelResource):
    created: int
    updated: int
    lead_ids: list[str]
    rejected: list[RejectedLead]


class ConversationMessage(CamelResource):
    id: str
    direction: str
    content: str
    created_at: datetime
    status: str
    campaign_id: str | None
    step_index: int | None
    language: str | None
    message_id: str | None


class OutreachCampaign(CamelResource):
    id: str
    name: str
    description: str | None
    status: str
    selected_lead_count: int
    include_conversation_history: bool
    auto_cancel_on_message_received: bool
    outreach_language: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    rate_limited_until: datetime | None


class Workflow(CamelResource):
    """Steps as stored: `{"type": "send", "channel", "templates"}` or
    `{"type": "wait", "duration", "sendingHours"}`."""

    steps: list[dict[str, Any]]


class LeadSelection(CamelResource):
    added: int
    already_selected: int
    selected_lead_count: int


class CampaignLead(CamelResource):
    lead_id: str
    state: str
    next_step: int
    next_step_at: datetime | None
    error_code: str | None
    updated_at: datetime


# -- voice (/v1/agents, /v1/phone-numbers, /v1/campaigns) -------------------------------------


class Agent(Resource):
    id: str
    name: str
    greeting: str
    message: str
    language: str
    voice: str | None
    questions: list[dict[str, Any]]
    voicemail: dict[str, Any]
    outcome_labels: list[str]
    max_call_duration_seconds: int
    created_at: datetime
    updated_at: datetime


class PhoneNumber(Resource):
    id: str
    phone_number: str
    country: str | None
    label: str | None
    created_at: datetime


class RetryRule(Resource):
    max_retries: int
    retry_interval_minutes: int


class VoiceCampaign(Resource):
    id: str
    organization_id: str
    name: str
    agent_id: str
    from_phone_number: str
    status: str
    max_concurrent_calls: int
    schedule: dict[str, Any] | None
    calling_hours: dict[str, Any] | None
    retry: RetryRule
    total_leads: int
    completed_calls: int
    pending_calls: int
    in_progress_calls: int
    answered_leads: int
    failed_leads: int
    cancelled_leads: int
    pause_reason: str | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadsAdded(Resource):
    campaign_id: str
    added: int
    duplicates: int
    total_leads: int


class CallLead(Resource):
    id: str
    name: str | None
    phone_number: str


class Call(Resource):
    id: str
    campaign_id: str
    lead: CallLead
    to_phone_number: str
    from_phone_number: str
    status: str
    attempt_number: int
    answered_by: str | None
    outcome: str | None
    answers: dict[str, Any]
    error_code: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    billable_minutes: int
    price_per_minute: Decimal
    cost: Decimal
    created_at: datetime
