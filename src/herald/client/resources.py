"""Every operation of the three API families, written once. A namespace builds an
`Operation` and hands it to its transport: the sync client's answers with the result, the
async client's with an awaitable of it (and `iter_*` with an iterator or async iterator).
Return annotations name the sync results."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from . import models as m
from .core import Dialect, Operation, Page, drop_none, listed, nothing, one, paged

T = TypeVar("T")


class Transport(Protocol):
    def run(self, operation: Operation[Any]) -> Any: ...
    def iterate(self, first: Operation[Page[Any]]) -> Any: ...


class Namespace:
    dialect: Dialect
    prefix: str

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _op(self, method: str, path: str, read: Any, **parts: Any) -> Operation[Any]:
        return Operation(method, self.prefix + path, self.dialect, read, **parts)

    def _run(self, method: str, path: str, read: Any, **parts: Any) -> Any:
        return self._transport.run(self._op(method, path, read, **parts))


def _template(template: m.Template | None) -> dict[str, Any] | None:
    return template.model_dump() if template is not None else None


class Messaging(Namespace):
    """Batch campaigns, messages, inbound replies, webhooks and carriers: `/c/v1`."""

    dialect, prefix = "messaging", "/c/v1"

    def send_batch(
        self,
        *,
        name: str,
        remitter_id: str,
        content: str,
        recipients: Sequence[str],
        country_alpha2: str | None = None,
        scheduled_at: datetime | None = None,
        channel_type: str = "SMS",
        template: m.Template | None = None,
        idempotency_key: str | None = None,
    ) -> m.BatchAccepted:
        """A batch of 2–1,000 recipients; answers `BatchAccepted` (202). A WHATSAPP batch
        to people outside their 24-hour window names a `template`."""
        body = drop_none(
            name=name,
            remitter_id=remitter_id,
            content=content,
            channel_type=channel_type,
            recipients=list(recipients),
            country_alpha2=country_alpha2,
            scheduled_at=scheduled_at.isoformat() if scheduled_at else None,
            template=_template(template),
        )
        return self._run(
            "POST",
            "/campaigns/batch",
            one(m.BatchAccepted),
            json=body,
            idempotency_key=idempotency_key,
        )

    def _campaigns(self, status: str | None, limit: int | None) -> Operation[Any]:
        params = drop_none(status=status, limit=limit)
        return self._op("GET", "/campaigns", paged(m.Campaign), params=params)

    def list_campaigns(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.Campaign]:
        """One `Page[Campaign]`, newest first."""
        return self._transport.run(self._campaigns(status, limit).with_params(cursor=cursor))

    def iter_campaigns(
        self, *, status: str | None = None, page_size: int = 100
    ) -> Iterator[m.Campaign]:
        return self._transport.iterate(self._campaigns(status, page_size))

    def get_campaign(self, campaign_id: str) -> m.Campaign:
        return self._run("GET", f"/campaigns/{campaign_id}", one(m.Campaign))

    def _dropped(self, campaign_id: str, limit: int | None) -> Operation[Any]:
        path = f"/campaigns/{campaign_id}/dropped-recipients"
        return self._op("GET", path, paged(m.DroppedRecipient), params=drop_none(limit=limit))

    def list_dropped_recipients(
        self, campaign_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.DroppedRecipient]:
        """One `Page[DroppedRecipient]`: numbers of a batch that got no message, with why."""
        return self._transport.run(self._dropped(campaign_id, limit).with_params(cursor=cursor))

    def iter_dropped_recipients(
        self, campaign_id: str, *, page_size: int = 200
    ) -> Iterator[m.DroppedRecipient]:
        return self._transport.iterate(self._dropped(campaign_id, page_size))

    def pause_campaign(self, campaign_id: str, reason: str | None = None) -> m.Campaign:
        body = {"reason": reason} if reason else None
        return self._run("POST", f"/campaigns/{campaign_id}/pause", one(m.Campaign), json=body)

    def resume_campaign(self, campaign_id: str) -> m.Campaign:
        return self._run("POST", f"/campaigns/{campaign_id}/resume", one(m.Campaign))

    def cancel_campaign(self, campaign_id: str) -> m.Campaign:
        return self._run("POST", f"/campaigns/{campaign_id}/cancel", one(m.Campaign))

    def send_message(
        self,
        *,
        recipient: str,
        content: str,
        remitter_id: str,
        country_alpha2: str | None = None,
        external_id: str | None = None,
        contact_id: str | None = None,
        channel_type: str = "SMS",
        template: m.Template | None = None,
        idempotency_key: str | None = None,
    ) -> m.Message:
        """One message, billed at once; answers the `Message` (202). A WHATSAPP message to
        someone outside their 24-hour window names a `template`."""
        body = drop_none(
            recipient=recipient,
            content=content,
            remitter_id=remitter_id,
            channel_type=channel_type,
            country_alpha2=country_alpha2,
            external_id=external_id,
            contact_id=contact_id,
            template=_template(template),
        )
        return self._run(
            "POST", "/messages", one(m.Message), json=body, idempotency_key=idempotency_key
        )

    def _messages(self, filters: Mapping[str, Any], limit: int | None) -> Operation[Any]:
        params = drop_none(**filters, limit=limit)
        return self._op("GET", "/messages", paged(m.Message), params=params)

    def list_messages(
        self,
        *,
        campaign_id: str | None = None,
        status: str | None = None,
        e164_format: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Message]:
        """One `Page[Message]`, newest first, filtered."""
        filters = {
            "campaign_id": campaign_id,
            "status": status,
            "e164_format": e164_format,
            "created_from": created_from,
            "created_to": created_to,
        }
        return self._transport.run(self._messages(filters, limit).with_params(cursor=cursor))

    def iter_messages(self, *, page_size: int = 200, **filters: Any) -> Iterator[m.Message]:
        """Every message matching the filters of `list_messages`, page after page."""
        return self._transport.iterate(self._messages(filters, page_size))

    def get_message(self, message_id: str) -> m.Message:
        return self._run("GET", f"/messages/{message_id}", one(m.Message))

    def list_message_parts(self, message_id: str) -> list[m.MessagePart]:
        return self._run("GET", f"/messages/{message_id}/parts", listed(m.MessagePart))

    def _inbound(self, filters: Mapping[str, Any], limit: int | None) -> Operation[Any]:
        params = drop_none(**filters, limit=limit)
        return self._op("GET", "/inbound-messages", paged(m.InboundMessage), params=params)

    def list_inbound_messages(
        self,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.InboundMessage]:
        filters = {
            "from_number": from_number,
            "to_number": to_number,
            "received_from": received_from,
            "received_to": received_to,
        }
        return self._transport.run(self._inbound(filters, limit).with_params(cursor=cursor))

    def iter_inbound_messages(
        self, *, page_size: int = 200, **filters: Any
    ) -> Iterator[m.InboundMessage]:
        return self._transport.iterate(self._inbound(filters, page_size))

    def list_whatsapp_templates(self) -> list[m.WhatsAppTemplate]:
        """The WhatsApp message templates, as last synced (`herald whatsapp templates sync`)."""
        return self._run("GET", "/whatsapp/templates", listed(m.WhatsAppTemplate))

    def create_webhook(
        self,
        *,
        url: str,
        event_types: Iterable[str],
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.WebhookEndpointCreated:
        """Register an endpoint; the answer (`WebhookEndpointCreated`) holds its secret."""
        body = drop_none(url=url, event_types=list(event_types), description=description)
        return self._run(
            "POST",
            "/webhooks",
            one(m.WebhookEndpointCreated),
            json=body,
            idempotency_key=idempotency_key,
        )

    def list_webhooks(self) -> list[m.WebhookEndpoint]:
        return self._run("GET", "/webhooks", listed(m.WebhookEndpoint))

    def get_webhook(self, endpoint_id: str) -> m.WebhookEndpoint:
        return self._run("GET", f"/webhooks/{endpoint_id}", one(m.WebhookEndpoint))

    def delete_webhook(self, endpoint_id: str) -> None:
        return self._run("DELETE", f"/webhooks/{endpoint_id}", nothing)

    def enable_webhook(self, endpoint_id: str) -> m.WebhookEndpoint:
        return self._run("POST", f"/webhooks/{endpoint_id}/enable", one(m.WebhookEndpoint))

    def _deliveries(self, endpoint_id: str, status: str | None, limit: int | None) -> Any:
        path = f"/webhooks/{endpoint_id}/deliveries"
        params = drop_none(status=status, limit=limit)
        return self._op("GET", path, paged(m.WebhookDelivery), params=params)

    def list_webhook_deliveries(
        self,
        endpoint_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.WebhookDelivery]:
        operation = self._deliveries(endpoint_id, status, limit)
        return self._transport.run(operation.with_params(cursor=cursor))

    def iter_webhook_deliveries(
        self, endpoint_id: str, *, status: str | None = None, page_size: int = 100
    ) -> Iterator[m.WebhookDelivery]:
        return self._transport.iterate(self._deliveries(endpoint_id, status, page_size))

    def replay_webhook_delivery(self, endpoint_id: str, delivery_id: str) -> m.WebhookDelivery:
        path = f"/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"
        return self._run("POST", path, one(m.WebhookDelivery))

    def list_connections(self) -> list[m.Connection]:
        """Carrier connections (scope `operator:carriers:read`)."""
        return self._run("GET", "/connections", listed(m.Connection))

    def list_routes(self) -> list[m.Route]:
        return self._run("GET", "/routes", listed(m.Route))

    def list_trunks(self) -> list[m.Trunk]:
        """SIP trunks of voice campaigns (scope `operator:carriers:read`)."""
        return self._run("GET", "/trunks", listed(m.Trunk))


class Outreach(Namespace):
    """Account groups; `group(id)` reaches the leads and campaigns of one: `/v1/accounts`."""

    dialect, prefix = "outreach", "/v1/accounts"

    def list_account_groups(self) -> list[m.AccountGroup]:
        """The groups this key was granted."""
        return self._run("GET", "", listed(m.AccountGroup, key="items"))

    def group(self, account_group_id: str) -> AccountGroupScope:
        return AccountGroupScope(self._transport, account_group_id)


class AccountGroupScope(Namespace):
    """Leads and outreach campaigns of one account group."""

    dialect = "outreach"

    def __init__(self, transport: Transport, account_group_id: str) -> None:
        super().__init__(transport)
        self.account_group_id = account_group_id
        self.prefix = f"/v1/accounts/{account_group_id}"

    def import_leads(
        self,
        leads: Iterable[Mapping[str, Any]],
        *,
        default_country: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.LeadImport:
        """Leads as the API spells them (`phone`, `firstName`, …); answers `LeadImport`."""
        body = drop_none(leads=list(leads), defaultCountry=default_country)
        return self._run(
            "POST", "/leads", one(m.LeadImport), json=body, idempotency_key=idempotency_key
        )

    def import_leads_csv(
        self, csv_text: str, *, default_country: str | None = None
    ) -> m.LeadImport:
        params = drop_none(defaultCountry=default_country)
        return self._run(
            "POST",
            "/leads/import",
            one(m.LeadImport),
            params=params,
            content=csv_text.encode(),
            content_type="text/csv",
        )

    def _leads(self, limit: int | None) -> Operation[Any]:
        return self._op("GET", "/leads", paged(m.Lead), params=drop_none(limit=limit))

    def list_leads(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.Lead]:
        return self._transport.run(self._leads(limit).with_params(cursor=cursor))

    def iter_leads(self, *, page_size: int = 200) -> Iterator[m.Lead]:
        return self._transport.iterate(self._leads(page_size))

    def get_lead(self, lead_id: str) -> m.Lead:
        return self._run("GET", f"/leads/{lead_id}", one(m.Lead))

    def get_conversation(self, lead_id: str) -> list[m.ConversationMessage]:
        """The lead's messages and replies, oldest first."""
        read = listed(m.ConversationMessage, key="items")
        return self._run("GET", f"/leads/{lead_id}/conversation", read)

    def create_campaign(
        self,
        *,
        name: str,
        sender_id: str,
        workflow: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> m.OutreachCampaign:
        """A draft campaign; `fields` in camelCase as the API spells them
        (`description`, `outreachLanguage`, `autoCancelOnMessageReceived`, `dailySendCap`…)."""
        body = drop_none(name=name, senderId=sender_id, workflow=workflow, **fields)
        return self._run(
            "POST",
            "/campaigns",
            one(m.OutreachCampaign),
            json=body,
            idempotency_key=idempotency_key,
        )

    def _campaigns(self, status: str | None, limit: int | None) -> Operation[Any]:
        params = drop_none(status=status, limit=limit)
        return self._op("GET", "/campaigns", paged(m.OutreachCampaign), params=params)

    def list_campaigns(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.OutreachCampaign]:
        return self._transport.run(self._campaigns(status, limit).with_params(cursor=cursor))

    def iter_campaigns(
        self, *, status: str | None = None, page_size: int = 100
    ) -> Iterator[m.OutreachCampaign]:
        return self._transport.iterate(self._campaigns(status, page_size))

    def get_campaign(self, campaign_id: str) -> m.OutreachCampaign:
        return self._run("GET", f"/campaigns/{campaign_id}", one(m.OutreachCampaign))

    def get_workflow(self, campaign_id: str) -> m.Workflow:
        return self._run("GET", f"/campaigns/{campaign_id}/workflow", one(m.Workflow))

    def replace_workflow(self, campaign_id: str, steps: Sequence[Mapping[str, Any]]) -> m.Workflow:
        path = f"/campaigns/{campaign_id}/workflow"
        return self._run("PUT", path, one(m.Workflow), json={"steps": list(steps)})

    def select_leads(self, campaign_id: str, lead_ids: Iterable[str]) -> m.LeadSelection:
        path = f"/campaigns/{campaign_id}/leads"
        body = {"leadIds": list(lead_ids)}
        return self._run("POST", path, one(m.LeadSelection), json=body)

    def _campaign_leads(self, campaign_id: str, limit: int | None) -> Operation[Any]:
        path = f"/campaigns/{campaign_id}/leads"
        return self._op("GET", path, paged(m.CampaignLead), params=drop_none(limit=limit))

    def list_campaign_leads(
        self, campaign_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.CampaignLead]:
        operation = self._campaign_leads(campaign_id, limit)
        return self._transport.run(operation.with_params(cursor=cursor))

    def iter_campaign_leads(
        self, campaign_id: str, *, page_size: int = 200
    ) -> Iterator[m.CampaignLead]:
        return self._transport.iterate(self._campaign_leads(campaign_id, page_size))

    def _act(self, campaign_id: str, action: str) -> Any:
        path = f"/campaigns/{campaign_id}/{action}"
        return self._run("POST", path, one(m.OutreachCampaign))

    def start_campaign(self, campaign_id: str) -> m.OutreachCampaign:
        return self._act(campaign_id, "start")

    def pause_campaign(self, campaign_id: str) -> m.OutreachCampaign:
        return self._act(campaign_id, "pause")

    def resume_campaign(self, campaign_id: str) -> m.OutreachCampaign:
        return self._act(campaign_id, "resume")

    def cancel_campaign(self, campaign_id: str) -> m.OutreachCampaign:
        return self._act(campaign_id, "cancel")


class Voice(Namespace):
    """Agents, caller numbers, call campaigns and their calls: `/v1/…` with a Bearer key."""

    dialect, prefix = "voice", "/v1"

    def create_agent(self, *, name: str, greeting: str, message: str, **fields: Any) -> m.Agent:
        """`fields`: language, voice, questions, voicemail, outcome_labels,
        max_call_duration_seconds (as the API spells them)."""
        body = drop_none(name=name, greeting=greeting, message=message, **fields)
        return self._run("POST", "/agents", one(m.Agent), json=body)

    def _agents(self, limit: int | None) -> Operation[Any]:
        return self._op("GET", "/agents", paged(m.Agent), params=drop_none(limit=limit))

    def list_agents(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.Agent]:
        return self._transport.run(self._agents(limit).with_params(cursor=cursor))

    def iter_agents(self, *, page_size: int = 100) -> Iterator[m.Agent]:
        return self._transport.iterate(self._agents(page_size))

    def get_agent(self, agent_id: str) -> m.Agent:
        return self._run("GET", f"/agents/{agent_id}", one(m.Agent))

    def add_phone_number(self, phone_number: str, *, label: str | None = None) -> m.PhoneNumber:
        body = drop_none(phone_number=phone_number, label=label)
        return self._run("POST", "/phone-numbers", one(m.PhoneNumber), json=body)

    def list_phone_numbers(self) -> list[m.PhoneNumber]:
        return self._run("GET", "/phone-numbers", listed(m.PhoneNumber))

    def create_campaign(
        self,
        *,
        name: str,
        agent_id: str,
        from_phone_number: str,
        leads: Iterable[Mapping[str, Any]] = (),
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> m.VoiceCampaign:
        """`fields`: max_concurrent_calls, retry, schedule, calling_hours, default_country,
        status ("draft" to add leads first) — as the API spells them."""
        body = drop_none(
            name=name,
            agent_id=agent_id,
            from_phone_number=from_phone_number,
            leads=list(leads),
            **fields,
        )
        return self._run(
            "POST",
            "/campaigns",
            one(m.VoiceCampaign),
            json=body,
            idempotency_key=idempotency_key,
        )

    def _campaigns(self, status: str | None, limit: int | None) -> Operation[Any]:
        params = drop_none(status=status, limit=limit)
        return self._op("GET", "/campaigns", paged(m.VoiceCampaign), params=params)

    def list_campaigns(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.VoiceCampaign]:
        return self._transport.run(self._campaigns(status, limit).with_params(cursor=cursor))

    def iter_campaigns(
        self, *, status: str | None = None, page_size: int = 100
    ) -> Iterator[m.VoiceCampaign]:
        return self._transport.iterate(self._campaigns(status, page_size))

    def get_campaign(self, campaign_id: str) -> m.VoiceCampaign:
        return self._run("GET", f"/campaigns/{campaign_id}", one(m.VoiceCampaign))

    def update_campaign(self, campaign_id: str, **changes: Any) -> m.VoiceCampaign:
        """PATCH: max_concurrent_calls, retry, schedule, calling_hours, name, agent_id,
        from_phone_number, status (paused, active, cancelled)."""
        path = f"/campaigns/{campaign_id}"
        return self._run("PATCH", path, one(m.VoiceCampaign), json=changes)

    def pause_campaign(self, campaign_id: str) -> m.VoiceCampaign:
        return self.update_campaign(campaign_id, status="paused")

    def resume_campaign(self, campaign_id: str) -> m.VoiceCampaign:
        """Resume a paused campaign, or launch a draft."""
        return self.update_campaign(campaign_id, status="active")

    def cancel_campaign(self, campaign_id: str) -> m.VoiceCampaign:
        return self.update_campaign(campaign_id, status="cancelled")

    def add_leads(
        self,
        campaign_id: str,
        leads: Iterable[Mapping[str, Any]],
        *,
        default_country: str | None = None,
    ) -> m.LeadsAdded:
        body = drop_none(leads=list(leads), default_country=default_country)
        return self._run("POST", f"/campaigns/{campaign_id}/leads", one(m.LeadsAdded), json=body)

    def add_leads_csv(
        self, campaign_id: str, csv_text: str, *, default_country: str | None = None
    ) -> m.LeadsAdded:
        return self._run(
            "POST",
            f"/campaigns/{campaign_id}/leads",
            one(m.LeadsAdded),
            params=drop_none(default_country=default_country),
            content=csv_text.encode(),
            content_type="text/csv",
        )

    def _calls(self, campaign_id: str, status: str | None, limit: int | None) -> Any:
        params = drop_none(status=status, limit=limit)
        path = f"/campaigns/{campaign_id}/calls"
        return self._op("GET", path, paged(m.Call), params=params)

    def list_calls(
        self,
        campaign_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Call]:
        operation = self._calls(campaign_id, status, limit)
        return self._transport.run(operation.with_params(cursor=cursor))

    def iter_calls(
        self, campaign_id: str, *, status: str | None = None, page_size: int = 200
    ) -> Iterator[m.Call]:
        return self._transport.iterate(self._calls(campaign_id, status, page_size))
