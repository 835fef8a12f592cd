"""A WhatsApp Business Cloud API connection's settings, as kept in `connections.settings`."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# Meta's public Graph API, with the version Herald was written and tested against pinned:
# a new Graph version can change shapes, so moving to one is a deliberate change.
DEFAULT_API_BASE_URL = "https://graph.facebook.com/v21.0"
DEFAULT_RATE = 80.0  # messages per second per business number (Meta's default throughput)
DEFAULT_CONCURRENCY = 8  # requests in flight per connection

_ID = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    name: str  # the connection's name (the provider's name)
    phone_number_id: str
    waba_id: str
    access_token: str
    app_secret: str  # signs the webhooks Meta posts (X-Hub-Signature-256)
    verify_token: str  # the webhook verification handshake's hub.verify_token
    api_base_url: str = DEFAULT_API_BASE_URL
    rate: float = DEFAULT_RATE
    concurrency: int = DEFAULT_CONCURRENCY

    def settings(self) -> dict[str, Any]:
        """The `connections.settings` JSON (the name is the row's own column)."""
        stored = asdict(self)
        del stored["name"]
        return stored

    @classmethod
    def from_settings(cls, name: str, settings: dict[str, Any]) -> WhatsAppConfig:
        return cls(name=name, **settings)

    def problems(self) -> dict[str, str]:
        checks = {
            "phone_number_id": (bool(_ID.match(self.phone_number_id)), "Digits (Meta's id)."),
            "waba_id": (bool(_ID.match(self.waba_id)), "Digits (Meta's id)."),
            "access_token": (bool(self.access_token), "The system user's access token."),
            "app_secret": (bool(self.app_secret), "The app secret that signs webhooks."),
            "verify_token": (bool(self.verify_token), "A token of your choice for webhooks."),
            "api_base_url": (
                self.api_base_url.startswith(("https://", "http://")),
                "An http(s) URL ending with the Graph version, e.g. " + DEFAULT_API_BASE_URL,
            ),
            "rate": (self.rate > 0, "More than 0 messages per second."),
            "concurrency": (self.concurrency >= 1, "At least 1 request in flight."),
        }
        return {field: message for field, (ok, message) in checks.items() if not ok}
