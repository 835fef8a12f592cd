"""Request and response shapes of the outreach API. The campaign is exactly seed 001's
(bounded metadata, never the workflow); the rest follows its naming (camelCase)."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, ConfigDict, Field

from herald.api.inputs import CountryCode
from herald.kit.ids import parse_v7
from herald.outreach.workflow import Language, Step, Workflow

from .auth import ID_MESSAGE
from .envelope import Shape

T = TypeVar("T")


def _uuid_v7(value: str) -> str:
    if parse_v7(value) is None:
        raise ValueError(ID_MESSAGE)
    return value


UuidV7 = Annotated[str, AfterValidator(_uuid_v7)]
CountryAlpha2 = CountryCode
FieldValue = str | int | float | bool | None


class Input(Shape):
    model_config = ConfigDict(extra="forbid")


class Page(Shape, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# -- account groups --------------------------------------------------------------------------


class AccountGroupOut(Shape):
    id: str
    name: str
    created_at: str


# -- campaigns -------------------------------------------------------------------------------


class CampaignOut(Shape):
    id: str
    name: str
    description: str | None
    status: str
    selected_lead_count: int
    include_conversation_history: bool
    auto_cancel_on_message_received: bool
    outreach_language: str
    created_at: str
    updated_at: str
    started_at: str | None
    rate_limited_until: str | None


class CampaignIn(Input):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    sender_id: UuidV7 = Field(description="The approved sender ID (remitter) of the messages.")
    outreach_language: Language = Field(
        default="en", description="Default template language, for leads without one."
    )
    include_conversation_history: bool = False
    auto_cancel_on_message_received: bool = True
    daily_send_cap: int | None = Field(
        default=None, ge=1, description="Most messages the sender may send per UTC day."
    )
    workflow: Workflow | None = None
    mailboxes: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Email connections (herald connection add --type email) that EMAIL "
        "steps are sent from, in turn.",
    )


class SelectLeadsIn(Input):
    lead_ids: list[UuidV7] = Field(min_length=1, max_length=10_000)


class SelectionOut(Shape):
    added: int
    already_selected: int
    selected_lead_count: int


class CampaignLeadOut(Shape):
    lead_id: str
    state: str
    next_step: int
    next_step_at: str | None
    error_code: str | None
    updated_at: str


# -- leads -----------------------------------------------------------------------------------


class LeadIn(Input):
    phone: str = Field(min_length=1, max_length=40)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    language: str | None = None
    time_zone: str | None = Field(default=None, description="IANA name, e.g. Africa/Luanda.")
    fields: dict[str, FieldValue] = Field(default_factory=dict)


class ImportLeadsIn(Input):
    leads: list[LeadIn] = Field(min_length=1, max_length=10_000)
    default_country: CountryAlpha2 | None = Field(
        default=None, description="Country of numbers given without an international prefix."
    )


class RejectedOut(Shape):
    index: int
    phone: str
    reason: str


class ImportOut(Shape):
    created: int
    updated: int
    lead_ids: list[str]
    rejected: list[RejectedOut]


class LeadOut(Shape):
    id: str
    phone: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    language: str | None
    time_zone: str
    fields: dict[str, Any]
    created_at: str
    updated_at: str


class ConversationMessageOut(Shape):
    id: str
    direction: str
    content: str
    created_at: str
    status: str
    campaign_id: str | None
    step_index: int | None
    language: str | None
    message_id: str | None


class WorkflowOut(Shape):
    """The steps as stored; empty while a draft has no workflow yet."""

    steps: list[Step]
