"""A WhatsApp Business Cloud API on 127.0.0.1, written from Meta's public reference (Graph
API error shapes, the messages endpoint, message_templates, the `messages` webhook field).
It shares no code with Herald's provider.

What it does, as Meta does:
- POST /{version}/{phone-number-id}/messages with a Bearer token: text and template
  messages; answers `{"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}`.
- GET /{version}/{waba-id}/message_templates: the account's templates, paged by cursor.
- Errors in the Graph shape `{"error": {"message", "type", "code", "error_data",
  "fbtrace_id"}}`: 130429 over the number's throughput, 131056 over the pair rate,
  132001 / 132000 for an unknown template or the wrong parameter count, 190 for a bad token.
- Asynchronous outcomes as signed `messages` webhooks (X-Hub-Signature-256: HMAC-SHA256 of
  the raw body with the app secret): statuses sent, delivered, read, failed (131047 when a
  free-form text is sent outside the 24-hour window, 131026 for an undeliverable number),
  and inbound messages from people (which open the window).

Webhooks go to a target: a URL (posted with httpx) or a callable taking (body, headers) and
returning the HTTP status, for service-level tests that run no HTTP server of Herald's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

WebhookTarget = Callable[[bytes, dict[str, str]], int]
WINDOW_SECONDS = 24 * 3600


@dataclass
class Template:
    name: str
    language: str
    category: str = "MARKETING"
    status: str = "APPROVED"
    body: str = "Hello {{1}}"
    header: str | None = None

    @property
    def body_parameters(self) -> int:
        return len(set(re.findall(r"\{\{(\d+)\}\}", self.body)))

    @property
    def header_parameters(self) -> int:
        return len(set(re.findall(r"\{\{(\d+)\}\}", self.header or "")))

    def graph(self, id: str) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        if self.header is not None:
            components.append({"type": "HEADER", "format": "TEXT", "text": self.header})
        components.append({"type": "BODY", "text": self.body})
        return {
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "components": components,
            "id": id,
        }


@dataclass
class Sent:
    wamid: str
    to: str
    type: str
    body: dict[str, Any]
    at: float


@dataclass
class CloudConfig:
    phone_number_id: str = "106540352242922"
    waba_id: str = "102290129340398"
    display_phone_number: str = "15550001111"
    access_token: str = "EAAtest-token"
    app_secret: str = "app-secret"
    version: str = "v21.0"
    throughput: float = 1000.0  # messages per second per number before 130429
    pair_interval: float = 0.0  # seconds between two messages to one person before 131056
    read_receipts: bool = True  # people read what is delivered
    status_delay: float = 0.0  # seconds before statuses are posted
    webhook_batch: int = 50  # statuses per webhook POST at most


def _graph_error(code: int, message: str, details: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": uuid.uuid4().hex[:22],
        }
    }


class CloudApi:
    def __init__(self, config: CloudConfig | None = None) -> None:
        self.config = config or CloudConfig()
        self.templates: list[Template] = []
        self.sent: list[Sent] = []
        self.requests = 0
        self.refusals: dict[int, int] = defaultdict(int)  # error code -> times answered
        self.undeliverable: set[str] = set()  # wa_ids whose messages fail with 131026
        self.last_inbound: dict[str, float] = {}  # wa_id -> when they last wrote to us
        self.webhooks_posted: list[bytes] = []
        self.target: WebhookTarget | None = None
        self._lock = threading.Lock()
        self._window: deque[float] = deque()  # send times within the last second
        self._last_to: dict[str, float] = {}
        self._outbox: queue.Queue[tuple[float, dict[str, Any]] | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._poster: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    # -- life --------------------------------------------------------------------------------

    def start(self, port: int = 0) -> CloudApi:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        server.request_queue_size = 256
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self._poster = threading.Thread(target=self._post_statuses, daemon=True)
        self._poster.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._outbox.put(None)
        if self._poster:
            self._poster.join(timeout=10)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def deliver_to(self, target: str | WebhookTarget) -> None:
        """Where webhooks go: Herald's URL, or a callable (body, headers) -> status."""
        if isinstance(target, str):
            url = target

            def post(body: bytes, headers: dict[str, str]) -> int:
                return httpx.post(url, content=body, headers=headers, timeout=30).status_code

            self.target = post
        else:
            self.target = target

    # -- what people do ----------------------------------------------------------------------

    def person_writes(self, wa_id: str, text: str, message_id: str | None = None) -> bytes:
        """A person sends us a text: opens their 24-hour window; the webhook is posted now.
        Returns the webhook body as posted (to post it again)."""
        with self._lock:
            self.last_inbound[wa_id] = time.time()
        message = {
            "from": wa_id,
            "id": message_id or f"wamid.{uuid.uuid4().hex}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": text},
        }
        value = {
            **self._metadata(),
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": wa_id}],
            "messages": [message],
        }
        return self.post_webhook(self._envelope(value))

    def post_webhook(self, payload: dict[str, Any] | bytes, secret: str | None = None) -> bytes:
        """Post a webhook body signed with the app secret (or `secret`); returns the body."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        key = (secret if secret is not None else self.config.app_secret).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        headers = {"content-type": "application/json", "x-hub-signature-256": signature}
        assert self.target is not None, "deliver_to() first"
        status = self.target(body, headers)
        if status != 200:
            raise AssertionError(f"Herald answered the webhook with {status}")
        self.webhooks_posted.append(body)
        return body

    # -- the Graph API ------------------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.config.display_phone_number,
                "phone_number_id": self.config.phone_number_id,
            },
        }

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": self.config.waba_id, "changes": [{"value": value, "field": "messages"}]}
            ],
        }

    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        to = str(body.get("to", "")).lstrip("+")
        kind = body.get("type", "text")
        if body.get("messaging_product") != "whatsapp" or not to.isdigit():
            return 400, _graph_error(100, "Invalid parameter", "to or messaging_product")
        now = time.time()
        with self._lock:
            self.requests += 1
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.config.throughput:
                return self._refuse(429, 130429, "Rate limit hit", "Cloud API throughput")
            last = self._last_to.get(to)
            if self.config.pair_interval and last and now - last < self.config.pair_interval:
                return self._refuse(
                    400, 131056, "(Business Account, Consumer Account) pair rate limit hit", to
                )
            problem = self._template_problem(body) if kind == "template" else None
            if problem:
                return problem
            self._window.append(now)
            self._last_to[to] = now
            wamid = f"wamid.{uuid.uuid4().hex}"
            self.sent.append(Sent(wamid, to, kind, body, now))
            window_open = now - self.last_inbound.get(to, float("-inf")) < WINDOW_SECONDS
        self._outbox.put(
            (now + self.config.status_delay, self._outcome(wamid, to, kind, window_open, body))
        )
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return 200, answer

    def _refuse(self, status: int, code: int, message: str, details: str) -> tuple[int, Any]:
        self.refusals[code] += 1
        return status, _graph_error(code, message, details)

    def _template_problem(self, body: dict[str, Any]) -> tuple[int, Any] | None:
        wanted = body.get("template") or {}
        code = (wanted.get("language") or {}).get("code")
        found = next(
            (t for t in self.templates if t.name == wanted.get("name") and t.language == code),
            None,
        )
        if found is None or found.status != "APPROVED":
            return self._refuse(
                404, 132001, "Template name does not exist in the translation", str(wanted)
            )
        given = {c.get("type"): len(c.get("parameters", [])) for c in wanted.get("components", [])}
        if (
            given.get("body", 0) != found.body_parameters
            or given.get("header", 0) != found.header_parameters
        ):
            return self._refuse(
                400, 132000, "Number of parameters does not match the expected number", found.name
            )
        return None

    def _outcome(
        self, wamid: str, to: str, kind: str, window_open: bool, body: dict[str, Any]
    ) -> dict[str, Any]:
        """What happens to an accepted message, as the statuses webhooks will say."""
        base = {"id": wamid, "recipient_id": to}
        opaque = body.get("biz_opaque_callback_data")
        if opaque:
            base["biz_opaque_callback_data"] = opaque
        if to in self.undeliverable:
            return {**base, "final": ("failed", 131026, "Message undeliverable")}
        if kind == "text" and not window_open:
            return {**base, "final": ("failed", 131047, "Re-engagement message")}
        return {**base, "final": ("read" if self.config.read_receipts else "delivered",)}

    def _statuses(self, outcome: dict[str, Any]) -> list[dict[str, Any]]:
        final = outcome.pop("final")
        stamp = str(int(time.time()))
        if final[0] == "failed":
            _, code, title = final
            error = {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
            }
            return [{**outcome, "status": "failed", "timestamp": stamp, "errors": [error]}]
        steps = ["sent", "delivered"] + (["read"] if final[0] == "read" else [])
        return [{**outcome, "status": s, "timestamp": stamp} for s in steps]

    def _post_statuses(self) -> None:
        """Posts statuses in the order they happen, a few per webhook, as Meta may."""
        while True:
            item = self._outbox.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.config.webhook_batch:
                try:
                    more = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._outbox.put(None)
                    break
                batch.append(more)
            wait = max(at for at, _ in batch) - time.time()
            if wait > 0:
                time.sleep(wait)
            statuses = [s for _, outcome in batch for s in self._statuses(outcome)]
            # Every message's sent, then its delivered, then its read: as they happen.
            order = {"sent": 0, "failed": 0, "delivered": 1, "read": 2}
            statuses.sort(key=lambda s: order[s["status"]])
            self._post_or_retry(self._envelope({**self._metadata(), "statuses": statuses}), 1)

    def _post_or_retry(self, payload: dict[str, Any], attempt: int) -> None:
        """Post a webhook; if Herald does not answer 200, post it again later, on its own
        schedule, without holding up the webhooks that follow (as Meta retries)."""
        try:
            self.post_webhook(payload)
        except Exception:
            if attempt < 120 and not self._stopping.is_set():
                delay = min(2.0, 0.1 * attempt)
                timer = threading.Timer(delay, self._post_or_retry, (payload, attempt + 1))
                timer.daemon = True
                timer.start()

    def _templates_page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["25"])[0])
        after = int(query.get("after", ["0"])[0] or 0)
        page = self.templates[after : after + limit]
        data = [t.graph(str(900000 + after + i)) for i, t in enumerate(page)]
        paging: dict[str, Any] = {
            "cursors": {"before": str(after), "after": str(after + len(page))}
        }
        if after + limit < len(self.templates):
            paging["next"] = (
                f"{self.base_url}/{self.config.version}/{self.config.waba_id}/message_templates"
                f"?limit={limit}&after={after + len(page)}"
            )
        return {"data": data, "paging": paging}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self
        config = self.config

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _authorised(self) -> bool:
                if self.headers.get("authorization") == f"Bearer {config.access_token}":
                    return True
                self._answer(401, _graph_error(190, "Invalid OAuth access token", "token"))
                return False

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                path = urlparse(self.path).path
                if path != f"/{config.version}/{config.phone_number_id}/messages":
                    self._answer(404, _graph_error(100, "Unknown path", path))
                    return
                if not self._authorised():
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._answer(400, _graph_error(100, "Invalid parameter", "body"))
                    return
                self._answer(*api._send(body))

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != f"/{config.version}/{config.waba_id}/message_templates":
                    self._answer(404, _graph_error(100, "Unknown path", url.path))
                    return
                if self._authorised():
                    self._answer(200, api._templates_page(parse_qs(url.query)))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
