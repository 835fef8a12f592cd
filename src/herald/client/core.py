"""The client's one implementation of the request logic, with no I/O: what to send for an
operation, how to read the answer, when and how long to wait before trying again.

`exchange(operation)` is a generator that yields the request to send (an `Outgoing`) or a
pause (a `Pause`) and receives each answer; the sync and async clients only drive it with
their own transport and sleep."""

from __future__ import annotations

import email.utils
import random
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

import httpx

from .errors import Conflict, HeraldAPIError, HeraldConnectionError, error_for

T = TypeVar("T")
Dialect = Literal["messaging", "outreach", "voice"]

# Methods a server may see twice without harm; a POST is made so by its Idempotency-Key.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One API call: where it goes, what it carries, how its answer becomes a `T`."""

    method: str
    path: str
    dialect: Dialect
    read: Callable[[Any, Operation[T]], T]
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    idempotency_key: str | None = None

    def with_params(self, **params: Any) -> Operation[T]:
        return replace(self, params={**self.params, **params})


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `next` is the operation that fetches the following one."""

    items: list[T]
    next_cursor: str | None
    next: Operation[Page[T]] | None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: 429, 5xx and `IDEMPOTENCY_KEY_IN_USE` answers, and lost connections
    of requests the server may safely see twice. `Retry-After` is honoured up to
    `max_retry_after` seconds (a longer wait is given back to the caller as the error);
    otherwise the wait doubles from `backoff` up to `max_backoff`, with jitter."""

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def backoff_for(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def wait_after(self, attempt: int, error: HeraldAPIError) -> float | None:
        """Seconds to wait before trying again, or None to give up."""
        if attempt >= self.max_retries or not retryable(error):
            return None
        if error.retry_after is None:
            return self.backoff_for(attempt)
        return error.retry_after if error.retry_after <= self.max_retry_after else None


@dataclass(frozen=True)
class Outgoing:
    """A request to send, as keyword arguments of `httpx.Client.request`."""

    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    json: Any
    content: bytes | None


@dataclass(frozen=True)
class Pause:
    seconds: float


Step = Outgoing | Pause


def retryable(error: HeraldAPIError) -> bool:
    in_use = isinstance(error, Conflict) and error.code == "IDEMPOTENCY_KEY_IN_USE"
    return error.status == 429 or error.status >= 500 or in_use


def exchange(
    operation: Operation[T], base_url: str, api_key: str, policy: RetryPolicy
) -> Generator[Step, httpx.Response | None, T]:
    """Send `operation` until it succeeds or the policy gives up; its answer as a `T`."""
    outgoing = prepare(operation, base_url, api_key)
    safe_to_resend = operation.method in IDEMPOTENT_METHODS or "Idempotency-Key" in (
        outgoing.headers
    )
    attempt = 0
    while True:
        try:
            response = yield outgoing
        except httpx.TransportError as exc:
            never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            if attempt >= policy.max_retries or not (safe_to_resend or never_sent):
                raise HeraldConnectionError(f"{operation.method} {outgoing.url}: {exc}") from exc
            yield Pause(policy.backoff_for(attempt))
            attempt += 1
            continue
        assert response is not None
        if response.is_success:
            return read(operation, response)
        error = error_of(response)
        wait = policy.wait_after(attempt, error)
        if wait is None:
            raise error
        yield Pause(wait)
        attempt += 1


def prepare(operation: Operation[Any], base_url: str, api_key: str) -> Outgoing:
    headers = {"Accept": "application/json"}
    if operation.dialect == "voice":
        headers["Authorization"] = f"Bearer {api_key}"
    else:
        headers["X-API-KEY"] = api_key
    if operation.method == "POST":
        # One key per operation, kept across its retries: the server runs it at most once.
        headers["Idempotency-Key"] = operation.idempotency_key or str(uuid.uuid4())
    if operation.content_type:
        headers["Content-Type"] = operation.content_type
    params = {k: _param(v) for k, v in operation.params.items() if v is not None}
    url = base_url + operation.path
    return Outgoing(operation.method, url, params, headers, operation.json, operation.content)


def _param(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def read(operation: Operation[T], response: httpx.Response) -> T:
    body = response.json() if response.content else None
    if operation.dialect == "outreach" and isinstance(body, dict) and "success" in body:
        body = body.get("data")  # {success, data, error, traceId}
    return operation.read(body, operation)


def error_of(response: httpx.Response) -> HeraldAPIError:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return error_for(response.status_code, body, response.headers, retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# -- readers ----------------------------------------------------------------------------------


def one(model: Callable[..., T]) -> Callable[[Any, Operation[T]], T]:
    def reader(body: Any, _: Operation[T]) -> T:
        return model.model_validate(body)  # type: ignore[attr-defined]

    return reader


def nothing(body: Any, _: Operation[None]) -> None:
    return None


def listed(model: Any, key: str = "data") -> Callable[[Any, Operation[list[T]]], list[T]]:
    """A list that has no pages: `{"data": [...]}` (or `{"items": [...]}`)."""

    def reader(body: Any, _: Operation[list[T]]) -> list[T]:
        return [model.model_validate(item) for item in body[key]]

    return reader


def paged(model: Any) -> Callable[[Any, Operation[Page[T]]], Page[T]]:
    """A page in any dialect's shape; its `next` asks for the page after it."""

    def reader(body: Any, operation: Operation[Page[T]]) -> Page[T]:
        if "items" in body:  # outreach: {items, nextCursor}
            raw, cursor = body["items"], body.get("nextCursor")
        elif "pagination" in body:  # messaging: {data, pagination: {next_cursor, has_more}}
            raw, cursor = body["data"], body["pagination"].get("next_cursor")
        else:  # voice: {data, has_more, next_cursor}
            raw, cursor = body["data"], body.get("next_cursor")
        items = [model.model_validate(item) for item in raw]
        following = operation.with_params(cursor=cursor) if cursor else None
        return Page(items, cursor, following)

    return reader


def drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
