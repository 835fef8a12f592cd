"""Choosing the carrier connection (provider) that carries a message."""

from __future__ import annotations

from collections.abc import Mapping

from herald.providers.base import Provider


class Router:
    """Routes every message to the default provider; per-carrier routes arrive with the
    SMPP connections."""

    def __init__(self, providers: Mapping[str, Provider], default: str) -> None:
        if default not in providers:
            raise ValueError(f"default provider {default!r} is not configured")
        self.providers = dict(providers)
        self.default = default

    def provider_for(self, e164: str, country_alpha2: str | None, carrier: str) -> Provider:
        return self.providers[self.default]
