"""Input rules every API dialect shares, so that no request can reach the database with a
value it cannot store or compare: no NUL characters, times with an explicit offset inside
a sane window, country codes that exist, and plain-words messages instead of patterns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import phonenumbers
from fastapi import Request
from pydantic import AfterValidator, BeforeValidator, Field

from herald.errors import ValidationFailed

NUL = "\x00"
NUL_MESSAGE = "Must not contain the NUL character (U+0000)."

# Every date and time a request gives must fall in this window (UTC): wide enough for any
# campaign or filter, narrow enough that no arithmetic on it can overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
INSTANT_FORMAT = "a date and time with its UTC offset, e.g. 2030-01-01T09:00:00+00:00"


# -- NUL characters ------------------------------------------------------------------------
# PostgreSQL cannot store U+0000 in text, so a NUL anywhere in a request is refused here,
# once for every route, before any route code runs.


def nul_paths(value: Any, path: str) -> Iterator[str]:
    """The dotted paths (`leads.0.name`) of the strings in `value` that hold a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield path or "body"
            yield from nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}.{index}" if path else str(index))


def _raise_for(paths: Iterator[str]) -> None:
    fields = {path.replace(NUL, "") or "body": NUL_MESSAGE for path in paths}
    if fields:
        raise ValidationFailed(fields)


async def reject_nul(request: Request) -> None:
    """App-wide dependency: a NUL in a path or query parameter or in a JSON or form body is
    a 422 naming the field. CSV bodies are read by herald.kit.csvfile, which names the line."""
    _raise_for(nul_paths(dict(request.path_params), ""))
    _raise_for(nul_paths(dict(request.query_params.multi_items()), ""))
    content_type = request.headers.get("content-type", "")
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS") and not content_type:
        return
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # FastAPI has read the form already (the stream is gone); its parse is cached.
        form = await request.form()
        texts = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        _raise_for(nul_paths(texts, ""))
        return
    body = await request.body()
    if not body or content_type.startswith("text/csv"):
        return
    # Whatever the content type says (or if it says nothing), a body that parses as JSON
    # is walked as JSON: some routes read JSON whatever the header.
    try:
        parsed = json.loads(body)
    except ValueError:
        if b"\x00" in body:
            raise ValidationFailed({"body": NUL_MESSAGE}) from None
        return
    _raise_for(nul_paths(parsed, ""))


# -- dates and times -----------------------------------------------------------------------


def _explicit_offset(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"Give {INSTANT_FORMAT}.")
    if isinstance(value, str) and not re.search(r"(Z|[+-]\d\d:?\d\d)$", value.strip()):
        raise ValueError(f"Give {INSTANT_FORMAT}.")
    return value


def _in_window(value: datetime) -> datetime:
    # The year is checked before any conversion: 0001-01-01T00:00:00+14:00 cannot be
    # converted to UTC at all.
    if value.tzinfo is None or not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(_window_message())
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc < LATEST:
        raise ValueError(_window_message())
    return utc


def _window_message() -> str:
    return (
        f"Must be on or after {EARLIEST.date().isoformat()} and before "
        f"{LATEST.date().isoformat()} (UTC), as {INSTANT_FORMAT}."
    )


Instant = Annotated[
    datetime,
    BeforeValidator(_explicit_offset),
    AfterValidator(_in_window),
    Field(description=f"ISO 8601 with an offset, {EARLIEST.year}–{LATEST.year - 1}."),
]


# -- formats named in plain words ----------------------------------------------------------


def plain_pattern(pattern: str, message: str) -> Any:
    """A validator that checks `pattern` but says `message` (a pattern means nothing to
    most users); the pattern stays in the OpenAPI document."""

    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


# Published in the OpenAPI document, so that clients know which codes are accepted.
KNOWN_COUNTRIES = sorted(phonenumbers.SUPPORTED_REGIONS)


def _known_country(value: str) -> str:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("Must be a country code (ISO 3166-1 alpha-2) such as AO or PT.")
    return value


KnownCountry = AfterValidator(_known_country)
CountryCode = Annotated[
    str,
    Field(json_schema_extra={"pattern": "^[A-Z]{2}$", "enum": KNOWN_COUNTRIES}),
    plain_pattern(r"[A-Z]{2}", "Must be two capital letters, such as AO or PT."),
    KnownCountry,
]
