"""The ids the voice API shows (`cmp_…`, `agt_…`): a type prefix and the engine's UUID in
Crockford base32, so that each public id maps to exactly one engine id and back."""

from __future__ import annotations

import uuid

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_LENGTH = 26  # 128 bits in 5-bit digits

CAMPAIGN = "cmp"
AGENT = "agt"
PHONE_NUMBER = "pn"
CALL = "call"
LEAD = "lead"
ORGANIZATION = "org"


def encode(prefix: str, value: uuid.UUID) -> str:
    number = value.int
    digits = []
    for _ in range(_LENGTH):
        number, digit = divmod(number, 32)
        digits.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(reversed(digits))}"


def decode(prefix: str, public_id: str) -> uuid.UUID | None:
    """The UUID behind `prefix_…`, or None when `public_id` is not one of ours. A plain
    UUID is taken too (the engine's own form)."""
    head, sep, body = public_id.partition("_")
    if not sep:
        try:
            return uuid.UUID(public_id)
        except ValueError:
            return None
    if head != prefix or len(body) != _LENGTH:
        return None
    number = 0
    for char in body:
        digit = _VALUE.get(char)
        if digit is None:
            return None
        number = number * 32 + digit
    if number >= 1 << 128:
        return None
    return uuid.UUID(int=number)


def pattern(prefix: str) -> str:
    """A regular expression of the ids `decode(prefix, …)` takes, for the OpenAPI document:
    the public form (its first digit holds the top 3 bits of 128) or a plain UUID."""
    digits = "0-9a-hjkmnp-tv-z"
    uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    return f"^({prefix}_[0-7][{digits}]{{{_LENGTH - 1}}}|{uuid})$"
