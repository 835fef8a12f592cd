"""Who is calling: the API key a request authenticates as, found once per request.

Rate limits and idempotency keys belong to an API key and run in middleware, ahead of the
routes. The middleware reads the credential the way the request's dialect reads it
(`secret_in`), authenticates it and keeps the Principal in the request's state; the
dialect's own dependency (`principal_for`) then reuses it instead of a second lookup.
Keying on the key's id rather than on a header's text means that no spelling of a request
(junk in another credential header, `Bearer` followed by extra spaces, `bearer` in lower
case) buys a fresh counter.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers

from herald.bootstrap import Container
from herald.errors import Unauthenticated
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

# Where a dialect looks for the key, in order: "x-api-key" (the header) or "bearer"
# (`Authorization: Bearer <key>`).
Credentials = tuple[str, ...]
X_API_KEY: Credentials = ("x-api-key",)
BEARER: Credentials = ("bearer",)
EITHER: Credentials = ("x-api-key", "bearer")


def secret_in(headers: Headers, credentials: Credentials) -> str | None:
    for kind in credentials:
        if kind == "bearer":
            scheme, token = get_authorization_scheme_param(headers.get("authorization"))
            if scheme.lower() == "bearer" and token:
                return token
        elif value := headers.get(kind):
            return value
    return None


def principal_for(request: Request, app: Container, secret: str | None) -> Principal:
    """The Principal of `secret`: the one the middleware found for it, or a fresh lookup
    (raises Unauthenticated)."""
    known = getattr(request.state, "caller", None)
    if secret and known is not None and known[0] == tenancy.hash_secret(secret):
        principal: Principal = known[1]
        return principal
    with app.db.reading() as session:
        return tenancy.authenticate(session, secret)


def identify(request: Request, app: Container, credentials: Credentials) -> Principal | None:
    """Authenticates the request's credential (blocking: run it in a thread) and remembers
    the answer for the dialect; None when there is no valid key."""
    secret = secret_in(request.headers, credentials)
    if not secret:
        return None
    try:
        with app.db.reading() as session:
            principal = tenancy.authenticate(session, secret)
    except Unauthenticated:
        return None
    request.state.caller = (tenancy.hash_secret(secret), principal)
    return principal


def caller_of(request: Request) -> str | None:
    """The id of the key the middleware authenticated, if any."""
    known = getattr(request.state, "caller", None)
    return None if known is None else str(known[1].key_id)
