"""The two thin drivers of `core.exchange`: one over `httpx.Client` and `time.sleep`, one
over `httpx.AsyncClient` and `asyncio.sleep`. Nothing else differs between the clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import httpx

from .core import Operation, Outgoing, Page, RetryPolicy, exchange

T = TypeVar("T")


def _kwargs(step: Outgoing) -> dict[str, Any]:
    return {
        "method": step.method,
        "url": step.url,
        "params": step.params,
        "headers": step.headers,
        "json": step.json,
        "content": step.content,
    }


class SyncTransport:
    def __init__(self, http: httpx.Client, url: str, api_key: str, policy: RetryPolicy) -> None:
        self.http, self.url, self.api_key, self.policy = http, url, api_key, policy

    def run(self, operation: Operation[T]) -> T:
        flow = exchange(operation, self.url, self.api_key, self.policy)
        try:
            step = next(flow)
            while True:
                if isinstance(step, Outgoing):
                    try:
                        answer = self.http.request(**_kwargs(step))
                    except httpx.TransportError as exc:
                        step = flow.throw(exc)
                        continue
                    step = flow.send(answer)
                else:
                    time.sleep(step.seconds)
                    step = flow.send(None)
        except StopIteration as done:
            return done.value

    def iterate(self, first: Operation[Page[T]]) -> Iterator[T]:
        operation: Operation[Page[T]] | None = first
        while operation is not None:
            page = self.run(operation)
            yield from page.items
            operation = page.next


class AsyncTransport:
    def __init__(
        self, http: httpx.AsyncClient, url: str, api_key: str, policy: RetryPolicy
    ) -> None:
        self.http, self.url, self.api_key, self.policy = http, url, api_key, policy

    async def run(self, operation: Operation[T]) -> T:
        flow = exchange(operation, self.url, self.api_key, self.policy)
        try:
            step = next(flow)
            while True:
                if isinstance(step, Outgoing):
                    try:
                        answer = await self.http.request(**_kwargs(step))
                    except httpx.TransportError as exc:
                        step = flow.throw(exc)
                        continue
                    step = flow.send(answer)
                else:
                    await asyncio.sleep(step.seconds)
                    step = flow.send(None)
        except StopIteration as done:
            return done.value

    async def iterate(self, first: Operation[Page[T]]) -> AsyncIterator[T]:
        operation: Operation[Page[T]] | None = first
        while operation is not None:
            page = await self.run(operation)
            for item in page.items:
                yield item
            operation = page.next
