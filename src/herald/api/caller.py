"""Who is calling, before any route runs: a hash of the credential the request carries.

Rate limits and idempotency keys belong to an API key. They are applied in middleware,
ahead of each dialect's authentication, so they identify the key by a hash of whichever
credential header the dialect uses (a wrong key only ever reaches its own counters, and
its request then fails authentication as usual). The secret itself is never stored.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers

CREDENTIAL_HEADERS = ("x-api-key", "authorization")


def caller_of(headers: Headers) -> str | None:
    for name in CREDENTIAL_HEADERS:
        value = headers.get(name)
        if value:
            return hashlib.sha256(f"{name}:{value}".encode()).hexdigest()
    return None
