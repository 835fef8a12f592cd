"""The dashboard's session: the API key the user signed in with, kept in an HttpOnly,
SameSite=Lax cookie that expires after eight hours (Secure when served over https), and a
per-session CSRF token that every form carries and every POST must echo back.

The CSRF token lives in its own HttpOnly cookie (set on the first page a browser loads, so
the sign-in form carries one too) and in a hidden field of each form; a POST whose field
does not match the cookie is refused with 403. A cross-site page can neither read the
cookie nor, under SameSite, make the browser send it."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

KEY_COOKIE = "herald_key"
CSRF_COOKIE = "herald_csrf"
CSRF_FIELD = "csrf_token"
MAX_AGE = 8 * 3600  # a working day; then the user signs in again


def csrf_token(request: Request) -> str:
    """The session's token, minted once per browser session when the cookie is missing."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf = token
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    """Sets the CSRF cookie when this request minted the token."""
    minted = getattr(request.state, "csrf", None)
    if minted and request.cookies.get(CSRF_COOKIE) != minted:
        _set(request, response, CSRF_COOKIE, minted)


async def csrf_ok(request: Request) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def sign_in(request: Request, response: Response, api_key: str) -> None:
    _set(request, response, KEY_COOKIE, api_key)
    # A fresh token per signed-in session: one planted before sign-in stops working.
    token = secrets.token_urlsafe(32)
    _set(request, response, CSRF_COOKIE, token)


def sign_out(response: Response) -> None:
    response.delete_cookie(KEY_COOKIE, path="/dashboard")
    response.delete_cookie(CSRF_COOKIE, path="/dashboard")


def _set(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=MAX_AGE,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=_https(request),
    )


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
