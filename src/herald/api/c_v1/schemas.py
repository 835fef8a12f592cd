"""Request and response shapes of the messaging API, field for field as seeds 000/002/003."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from herald.api.inputs import KNOWN_COUNTRIES, Instant, KnownCountry, plain_pattern
from herald.kit.ids import parse_v7

# Seeds 000 and 002 prescribe this text for a malformed campaign_id or message_id in a path.
UUID_V7_MESSAGE = "Value must conform to a valid UUID v7 format rule pattern structure."
ID_MESSAGE = "Must be a valid UUID v7, such as 019b4b56-e704-7c30-83a0-527df63c3e00."
RECIPIENT_PATTERN = r"^\+?[\d\s\-\.]{7,30}$"  # seed 003
RECIPIENT_MESSAGE = (
    "Must be a phone number: 7 to 30 digits, spaces, dashes or dots, with an optional + first."
)


def _uuid_v7(value: str) -> str:
    if parse_v7(value) is None:
        raise ValueError(ID_MESSAGE)
    return value


UuidV7 = Annotated[str, AfterValidator(_uuid_v7)]
PhoneNumber = Annotated[
    str,
    Field(json_schema_extra={"pattern": RECIPIENT_PATTERN}),
    plain_pattern(RECIPIENT_PATTERN, RECIPIENT_MESSAGE),
]
# Seed 003 shows pydantic's own message for a code that is not two capital letters, so
# that one stays; a well-formed code no country has ("ZZ") is refused in plain words.
CountryAlpha2 = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(json_schema_extra={"enum": KNOWN_COUNTRIES}),
    KnownCountry,
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateIn(StrictModel):
    """A WhatsApp message template (synced with `herald whatsapp templates sync`)."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=16, description="Meta's code, e.g. en_US.")
    parameters: list[str] = Field(default_factory=list, description="The body's, in order.")
    header_parameters: list[str] = Field(default_factory=list)


ChannelType = Literal["SMS", "WHATSAPP"]


class BatchCampaignIn(StrictModel):
    remitter_id: UuidV7 = Field(description="The approved Sender ID used to issue the campaign.")
    content: str = Field(min_length=1, max_length=10_000)
    channel_type: ChannelType
    template: TemplateIn | None = Field(
        default=None,
        description="WHATSAPP: send this template (needed outside the 24-hour window); "
        "the message's content becomes the template's body with its parameters.",
    )
    recipients: list[PhoneNumber] = Field(min_length=2, max_length=1000)
    name: str = Field(min_length=1, max_length=200)
    country_alpha2: CountryAlpha2 | None = Field(
        default=None, description="Default country for numbers without an international prefix."
    )
    scheduled_at: Instant | None = Field(
        default=None, description="Send later: the campaign waits as SCHEDULED until then."
    )


class BatchAccepted(BaseModel):
    message: str = "Campaign accepted and is pending processing."
    campaign_id: str


class SendMessageIn(StrictModel):
    remitter_id: UuidV7
    content: str = Field(min_length=1, max_length=10_000)
    channel_type: ChannelType
    template: TemplateIn | None = None
    recipient: PhoneNumber
    country_alpha2: CountryAlpha2 | None = None
    external_id: str | None = Field(default=None, max_length=255)
    contact_id: UuidV7 | None = None


class PauseIn(StrictModel):
    reason: str | None = Field(default=None, max_length=500)


class RemitterOut(BaseModel):
    id: str
    name: str


class CampaignOut(BaseModel):
    id: str
    name: str
    status: str
    organization_id: str
    billing_account_id: str
    trigger_source: str
    file_metadata_id: str | None
    channel_type: str
    sms_remitter_id: str | None
    sms_remitter: RemitterOut | None
    content: str
    total_estimated_recipients: int
    scheduled_at: str | None
    processed_at: str | None
    completed_at: str | None
    error_code: str | None
    status_note: str | None
    data: dict[str, Any]
    created_at: str
    updated_at: str | None


class MessageOut(BaseModel):
    id: str
    organization_id: str
    billing_account_id: str
    campaign_id: str | None
    contact_id: str | None
    sms_remitter_id: str | None
    sms_remitter: RemitterOut | None
    external_id: str | None
    channel_type: str
    channel_destination: str
    provider_name: str | None
    e164_format: str
    content: str
    trigger_source: str
    cost: str
    is_refunded: bool
    status: str
    error_code: str | None
    read_at: str | None = Field(
        default=None, description="When the person read it (WhatsApp); the status stays."
    )
    created_at: str
    updated_at: str


class WhatsAppTemplateOut(BaseModel):
    connection: str
    name: str
    language: str
    status: str
    category: str
    body: str
    header: str | None
    parameters: int
    header_parameters: int
    synced_at: str


class WhatsAppTemplateList(BaseModel):
    data: list[WhatsAppTemplateOut]


class MessagePartOut(BaseModel):
    part_number: int
    parts_total: int
    carrier_message_id: str | None  # None while its submit_sm has no known answer
    status: str | None  # DELIVERED, UNDELIVERED… from the part's receipt
    error_code: str | None
    resends: int  # times sent again after a submit_sm that got no answer


class MessagePartList(BaseModel):
    data: list[MessagePartOut]


class Pagination(BaseModel):
    limit: int
    next_cursor: str | None
    has_more: bool


class CampaignList(BaseModel):
    data: list[CampaignOut]
    pagination: Pagination


class MessageList(BaseModel):
    data: list[MessageOut]
    pagination: Pagination


class DroppedRecipientOut(BaseModel):
    position: int = Field(description="Index of the number in the submitted `recipients`.")
    recipient: str = Field(description="The number as submitted.")
    e164_format: str | None = Field(description="Its E.164 form, when it has one.")
    reason: Literal["NOT_A_PHONE_NUMBER", "INVALID_NUMBER", "DUPLICATE", "OPTED_OUT"]


class DroppedRecipientList(BaseModel):
    data: list[DroppedRecipientOut]
    pagination: Pagination


class ErrorOut(BaseModel):
    code: str
    message: str
    status: int
    trace_id: str
    timestamp: str
    service: str
    fields: dict[str, str] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Invalid API Key"},
    403: {"model": ErrorOut, "description": "The key lacks the required scope"},
    404: {"model": ErrorOut, "description": "Not found"},
    422: {"model": ErrorOut, "description": "Validation Error"},
}
