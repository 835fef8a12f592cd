"""What a final answer to our INVITE means for the call (RFC 3261 section 21 codes, as the
issue maps them): ANSWERED, BUSY, try later (not an attempt), or FAILED with the code."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    RINGING = "RINGING"  # 180, 183
    ANSWERED = "ANSWERED"  # 2xx
    BUSY = "BUSY"  # 486 Busy Here, 600 Busy Everywhere
    NO_ANSWER = "NO_ANSWER"  # 487 after our CANCEL, 408, 480
    RETRY = "RETRY"  # 503 and other 5xx: the trunk cannot now; not an attempt
    FAILED = "FAILED"  # other 3xx-6xx


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    error_code: str | None = None  # "SIP_404": the code, for the call log


BUSY_CODES = frozenset({486, 600})
NO_ANSWER_CODES = frozenset({408, 480, 487})


def judge(status: int) -> Judgement | None:
    """None for a response that changes nothing (100 Trying, other 1xx)."""
    if not 100 <= status <= 699:
        raise ValueError(f"not a SIP status code: {status}")
    if status in (180, 183):
        return Judgement(Verdict.RINGING)
    if status < 200:
        return None
    if status < 300:
        return Judgement(Verdict.ANSWERED)
    code = f"SIP_{status}"
    if status in BUSY_CODES:
        return Judgement(Verdict.BUSY, code)
    if status in NO_ANSWER_CODES:
        return Judgement(Verdict.NO_ANSWER, code)
    if 500 <= status < 600:
        return Judgement(Verdict.RETRY, code)
    return Judgement(Verdict.FAILED, code)


def retry_after_seconds(header: str | None, default: float) -> float:
    """Retry-After (RFC 3261 20.33): delta-seconds, then optional comment and parameters."""
    if not header:
        return default
    head = header.strip().split(";", 1)[0].split("(", 1)[0].strip()
    if not head.isdigit():
        return default
    return float(int(head))
