"""Domain errors: raised once in the core, rendered by each API dialect in its own envelope."""

from __future__ import annotations


class HeraldError(Exception):
    """An expected business failure. `service` names the part of Herald that refused."""

    status = 400
    code = "BAD_REQUEST"
    service = "core"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(HeraldError):
    status = 404
    code = "NOT_FOUND"


class ValidationFailed(HeraldError):
    status = 422
    code = "VALIDATION_ERROR"

    def __init__(
        self, fields: dict[str, str], message: str = "One or more fields failed validation."
    ) -> None:
        super().__init__(message)
        self.fields = fields


class InsufficientFunds(HeraldError):
    status = 402
    code = "BILLING_INSUFFICIENT_FUNDS"
    service = "billing"


class RateLimited(HeraldError):
    status = 429
    code = "RATE_LIMIT_EXCEEDED"

    def __init__(self, retry_after: int, message: str = "Too many requests.") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthenticated(HeraldError):
    status = 401
    code = "AUTH_INVALID_API_KEY"


class Forbidden(HeraldError):
    status = 403
    code = "AUTH_INSUFFICIENT_SCOPE"

    def __init__(self, scope: str, message: str | None = None) -> None:
        super().__init__(message or f"This API key lacks the required scope: {scope}.")
        self.scope = scope


class Conflict(HeraldError):
    """The resource is not in a state that allows the operation."""

    status = 409
    code = "CONFLICT"
