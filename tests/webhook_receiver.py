"""A real webhook receiver on 127.0.0.1: it records every POST (headers and raw body) and
answers with scripted statuses. It can be stopped and started again on the same port."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        """The signature matches `secret`, whatever the timestamp's age (the receiver in a
        test whose clock runs ahead of the wall clock checks only the HMAC)."""
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(int(self.headers["webhook-timestamp"]), UTC)
        expected = Webhook(secret).sign(self.webhook_id, at, self.body.decode())
        return expected in self.headers["webhook-signature"].split(" ")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default (5) drops connections under concurrent senders
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class Receiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.received: list[Received] = []
        self._script: deque[tuple[int, dict[str, str]]] = deque()
        self.default: tuple[int, dict[str, str]] = (204, {})
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self) -> Receiver:
        server_class = _Server6 if ":" in self.host else _Server
        self._server = server_class((self.host, self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/hooks"

    def answer(self, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` requests with `status` (then the default again)."""
        with self._lock:
            self._script.extend([(status, headers)] * times)

    def ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.received]

    def _next_answer(self, received: Received) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.received.append(received)
            return self._script.popleft() if self._script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra = receiver._next_answer(Received(headers, body))
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# Tests let endpoints on loopback through the address guard, as an operator would for
# local development (HERALD_WEBHOOK_ALLOW_NETWORKS).
LOOPBACK = "127.0.0.0/8"
BOTH_TYPES = ("campaign.status_changed", "message.status_changed")


def register(herald: Any, tenant: Any, url: str, *types: str) -> dict[str, Any]:
    """Register an endpoint through the API, as a tenant would; returns it with its secret."""
    event_types = list(types or BOTH_TYPES)
    response = herald.client.post(
        "/c/v1/webhooks", json={"url": url, "event_types": event_types}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
