"""What the mailboxes tell outreach: a lead's reply (joins the conversation and stops the
sequence when the campaign stops on replies), a bounce (the address is marked bounced and
every sequence to it stops), and the one-click unsubscribe link (RFC 8058: the address goes
on the suppression list and every sequence to it stops). Automatic replies (out of office)
change nothing: the sequence goes on."""

from __future__ import annotations

import hmac
import uuid

import structlog
from sqlalchemy.orm import Session

from herald.inbound import service as inbound
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.outreach import replies, repository
from herald.outreach.models import Direction, EnrollmentState
from herald.providers.email.classify import AutoReply, Bounce, Mail, Reply

log = structlog.get_logger(__name__)


def on_mail(session: Session, clock: Clock, mailbox_name: str, mail: Mail) -> None:
    if isinstance(mail, Reply):
        on_reply(session, clock, mailbox_name, mail)
    elif isinstance(mail, Bounce):
        on_bounce(session, clock, mailbox_name, mail)
    elif isinstance(mail, AutoReply):
        log.info("email.automatic_reply", mailbox=mailbox_name, references=mail.references[-1:])


def on_reply(session: Session, clock: Clock, mailbox_name: str, mail: Reply) -> None:
    ours = repository.email_by_reference(session, mailbox_name, mail.references)
    if ours is None or ours.lead_id is None:
        return  # answers none of our emails
    row = inbound.record_email_reply(
        session,
        ours.organization_id,
        mail.from_address,
        (ours.payload or {}).get("from", mailbox_name),
        mail.text,
        mailbox_name,
        mail.received_at,
    )
    entry = {
        "id": new_id(),
        "organization_id": ours.organization_id,
        "lead_id": ours.lead_id,
        "direction": Direction.INBOUND,
        "campaign_id": None,
        "enrollment_id": None,
        "step_index": None,
        "message_id": None,
        "inbound_message_id": row.id,
        "language": None,
        "content": mail.text,
        "created_at": mail.received_at,
    }
    repository.insert_entries(session, [entry])
    replies.stop_leads(session, clock, [ours.lead_id], EnrollmentState.REPLIED, "LEAD_REPLIED")


def on_bounce(session: Session, clock: Clock, mailbox_name: str, mail: Bounce) -> None:
    ours = repository.email_by_reference(
        session, mailbox_name, [mail.original_message_id] if mail.original_message_id else []
    )
    if ours is None:
        return
    address = ours.address or mail.recipient
    if not address:
        return
    inbound.suppress_address(
        session, clock, ours.organization_id, address, inbound.BOUNCED, mail.status
    )
    lead_ids = repository.leads_with_email(session, ours.organization_id, address)
    replies.stop_leads(
        session, clock, lead_ids, EnrollmentState.BOUNCED, "EMAIL_BOUNCED", every_campaign=True
    )


def unsubscribe(session: Session, clock: Clock, message_id: uuid.UUID, token: str) -> bool:
    """The one-click link of one of our emails was used; False if the link is not ours."""
    ours = repository.email_by_id(session, message_id)
    expected = str((ours.payload or {}).get("unsubscribe_token", "")) if ours else ""
    if ours is None or not expected or not hmac.compare_digest(expected, token):
        return False
    if not ours.address:
        return False
    inbound.suppress_address(session, clock, ours.organization_id, ours.address, "UNSUBSCRIBED")
    lead_ids = repository.leads_with_email(session, ours.organization_id, ours.address)
    replies.stop_leads(
        session, clock, lead_ids, EnrollmentState.OPTED_OUT, "UNSUBSCRIBED", every_campaign=True
    )
    return True
