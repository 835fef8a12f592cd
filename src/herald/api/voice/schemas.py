"""Request and response shapes of the voice API (seed 004 field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from herald.api.inputs import CountryCode, Instant, plain_pattern
from herald.voice.hours import zone

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
CLOCK_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
BRIDGE_URL_PATTERN = r"^wss?://[^\s]+$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
Key = Annotated[
    str,
    Field(json_schema_extra={"pattern": KEY_PATTERN}),
    plain_pattern(
        KEY_PATTERN,
        "Must start with a lower-case letter and hold only lower-case letters, digits "
        "and underscores (at most 64).",
    ),
]
ClockTime = Annotated[
    str,
    Field(json_schema_extra={"pattern": CLOCK_PATTERN}),
    plain_pattern(CLOCK_PATTERN, "Must be a time of day as HH:MM (24 hours), e.g. 09:00."),
]
Language = Annotated[
    str,
    Field(max_length=16, json_schema_extra={"pattern": LANGUAGE_PATTERN}),  # the column holds 16
    plain_pattern(LANGUAGE_PATTERN, "Must be a language tag such as en, en-US or pt-BR."),
]
CountryAlpha2 = CountryCode
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _known_zone(value: str | None) -> str | None:
    if value is not None and zone(value) is None:
        raise ValueError("Not a known IANA time zone (e.g. Europe/Lisbon).")
    return value


TimeZone = Annotated[str | None, AfterValidator(_known_zone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- agents and numbers ----------------------------------------------------------------------


class VoiceQuestionIn(Strict):
    key: Key = Field(description="Names the answer in the call log, e.g. `interested`.")
    prompt: str = Field(min_length=1, max_length=2000)
    answer_type: Literal["dtmf", "speech"]
    choices: dict[str, str] = Field(
        default_factory=dict, description="Expected answers and their meaning, e.g. {'1': 'yes'}."
    )


class VoiceVoicemailIn(Strict):
    action: Literal["leave_message", "hang_up"] = "hang_up"
    message: str | None = Field(
        default=None,
        max_length=2000,
        description="Left on the machine; the agent's message if unset.",
    )


class VoiceBridgeIn(Strict):
    type: Literal["websocket"]
    url: Annotated[
        str,
        Field(
            max_length=2000,
            json_schema_extra={"pattern": BRIDGE_URL_PATTERN},
            description="Herald opens a WebSocket here for each answered call (see README).",
        ),
        plain_pattern(BRIDGE_URL_PATTERN, "Must be a ws:// or wss:// URL."),
    ]


class VoiceAgentIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    greeting: str = Field(min_length=1, max_length=2000)
    message: str = Field(min_length=1, max_length=10_000)
    language: Language = Field(default="en-US")
    voice: str | None = Field(default=None, max_length=64)
    questions: list[VoiceQuestionIn] = Field(default_factory=list, max_length=20)
    voicemail: VoiceVoicemailIn = Field(default_factory=VoiceVoicemailIn)
    outcome_labels: list[Key] = Field(
        default_factory=lambda: ["interested", "not_interested", "callback_requested"],
        min_length=1,
        max_length=20,
    )
    max_call_duration_seconds: int = Field(default=300, ge=30, le=3600)
    bridge: VoiceBridgeIn | None = Field(
        default=None, description="Bring your own AI agent: it talks on the line instead."
    )


class VoiceAgentOut(BaseModel):
    id: str = Field(examples=["agt_01jq3v8m5k0r2y7x9c4d6f8h0a"])
    name: str
    greeting: str
    message: str
    language: str
    voice: str | None
    questions: list[dict[str, Any]]
    voicemail: dict[str, Any]
    outcome_labels: list[str]
    max_call_duration_seconds: int
    bridge: dict[str, Any] | None = None
    created_at: str
    updated_at: str


class VoiceAgentList(BaseModel):
    data: list[VoiceAgentOut]
    has_more: bool
    next_cursor: str | None


class VoicePhoneNumberIn(Strict):
    phone_number: str = Field(min_length=4, max_length=32, examples=["+912234567890"])
    label: str | None = Field(default=None, max_length=200)


class VoicePhoneNumberOut(BaseModel):
    id: str
    phone_number: str
    country: str | None
    label: str | None
    created_at: str


class VoicePhoneNumberList(BaseModel):
    data: list[VoicePhoneNumberOut]


# -- campaigns -------------------------------------------------------------------------------


class VoiceRetryIn(Strict):
    max_retries: int = Field(default=2, ge=0, le=10, description="Calls after the first.")
    retry_interval_minutes: int = Field(default=60, ge=1, le=10_080)


class VoiceRetryPatch(Strict):
    max_retries: int | None = Field(default=None, ge=0, le=10)
    retry_interval_minutes: int | None = Field(default=None, ge=1, le=10_080)


class VoiceScheduleIn(Strict):
    start_at: Instant = Field(description="No call starts before this time.")


class VoiceCallingHoursIn(Strict):
    start: ClockTime = Field(examples=["09:00"])
    end: ClockTime = Field(examples=["18:00"], description="Exclusive; later than `start`.")
    days: list[Day] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)
    timezone: TimeZone = Field(
        default=None, description="For numbers whose zone is unknown (otherwise UTC)."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> VoiceCallingHoursIn:
        if self.end <= self.start:
            raise ValueError("The end must be later than the start.")
        return self


class VoiceLeadIn(Strict):
    phone_number: str = Field(min_length=3, max_length=32, examples=["+912234567890"])
    name: str | None = Field(default=None, max_length=200)
    timezone: TimeZone = Field(default=None, description="Overrides the number's own zone.")
    variables: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class VoiceLeadsIn(Strict):
    leads: list[VoiceLeadIn] = Field(min_length=1, max_length=100_000)
    default_country: CountryAlpha2 | None = None


class VoiceCampaignIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Q2 Lead Re-engagement"])
    agent_id: str = Field(examples=["agt_01jq3v8m5k0r2y7x9c4d6f8h0a"])
    from_phone_number: str = Field(examples=["+912234567890"])
    max_concurrent_calls: int = Field(default=5, ge=1, le=1000)
    retry: VoiceRetryIn = Field(default_factory=VoiceRetryIn)
    leads: list[VoiceLeadIn] = Field(default_factory=list, max_length=100_000)
    default_country: CountryAlpha2 | None = Field(
        default=None, description="Country of lead numbers written without a '+' prefix."
    )
    schedule: VoiceScheduleIn | None = None
    calling_hours: VoiceCallingHoursIn | None = None
    status: Literal["draft", "active"] = Field(
        default="active", description="`draft` to upload leads (CSV) before launching."
    )
    record_calls: bool = Field(
        default=False, description="Record answered calls, both directions, to a WAV file."
    )


class VoiceCampaignPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    agent_id: str | None = None
    from_phone_number: str | None = None
    max_concurrent_calls: int | None = Field(default=None, ge=1, le=1000)
    retry: VoiceRetryPatch | None = None
    schedule: VoiceScheduleIn | None = None
    calling_hours: VoiceCallingHoursIn | None = None
    status: Literal["active", "paused", "cancelled"] | None = Field(
        default=None, description="`paused` pauses, `active` launches a draft or resumes."
    )


class VoiceRetryOut(BaseModel):
    max_retries: int
    retry_interval_minutes: int


class VoiceCampaignOut(BaseModel):
    id: str = Field(examples=["cmp_01jq3v8m5k0r2y7x9c4d6f8h0a"])
    organization_id: str
    name: str
    agent_id: str
    from_phone_number: str
    status: str = Field(description="draft, active, running, paused, completed or cancelled")
    max_concurrent_calls: int
    schedule: dict[str, Any] | None
    calling_hours: dict[str, Any] | None
    record_calls: bool = False
    retry: VoiceRetryOut
    total_leads: int
    completed_calls: int = Field(description="Leads finished: answered, or out of retries.")
    pending_calls: int = Field(description="Leads still to be called (waiting or on a call).")
    in_progress_calls: int = Field(description="Calls on the line right now.")
    answered_leads: int
    failed_leads: int
    cancelled_leads: int
    pause_reason: str | None
    next_call_at: str | None = Field(
        description="When the next call may start: the earliest moment a waiting lead may be "
        "called (its retry interval, the schedule and its calling hours counted). A past time: "
        "a lead has been ready since then and is called as soon as a line is free. Null when "
        "no lead waits or the campaign does not dial (draft, paused, completed, cancelled).",
        examples=["2024-03-04T09:00:00.000Z"],
    )
    waiting_reason: str | None = Field(
        description="Why no call starts now: `scheduled` (before `schedule.start_at`), "
        "`outside_calling_hours`, `retry_interval` (every waiting lead waits for its retry), "
        "or, when paused, the `pause_reason`; null when a call may start now or nothing waits.",
        examples=["outside_calling_hours"],
    )
    started_at: str | None
    completed_at: str | None
    created_at: str
    updated_at: str


class VoiceCampaignList(BaseModel):
    data: list[VoiceCampaignOut]
    has_more: bool
    next_cursor: str | None


class VoiceLeadsAdded(BaseModel):
    campaign_id: str
    added: int
    duplicates: int
    total_leads: int


class VoiceCallLead(BaseModel):
    id: str
    name: str | None
    phone_number: str


class VoiceCallOut(BaseModel):
    id: str
    campaign_id: str
    lead: VoiceCallLead
    to_phone_number: str
    from_phone_number: str
    status: str = Field(
        description="queued, ringing, in_progress, completed, voicemail, busy, no_answer, or failed"
    )
    attempt_number: int
    answered_by: str | None
    outcome: str | None
    answers: dict[str, Any]
    error_code: str | None
    started_at: str | None
    answered_at: str | None
    ended_at: str | None
    duration_seconds: int | None
    billable_minutes: int
    price_per_minute: str
    cost: str
    created_at: str
    recording_seconds: int | None = None
    recording_url: str | None = Field(
        default=None, description="GET it (same key) for the WAV file: callee left, agent right."
    )


class VoiceCallList(BaseModel):
    data: list[VoiceCallOut]
    has_more: bool
    next_cursor: str | None


def as_datetime(schedule: VoiceScheduleIn | None) -> datetime | None:
    return schedule.start_at if schedule else None
