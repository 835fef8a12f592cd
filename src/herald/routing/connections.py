"""Building the carrier connections (providers) from the connections table, keeping them in
step with it while Herald runs, and the route loader the Router reads."""

from __future__ import annotations

import structlog

from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.base import InboundSink, Provider, ReceiptSink
from herald.providers.email.inbox import Inbox, MailSink
from herald.providers.email.mailbox import Mailbox
from herald.providers.email.provider import EmailProvider
from herald.providers.smpp import SmppConfig, SmppProvider
from herald.providers.whatsapp import WhatsAppConfig, WhatsAppProvider
from herald.routing import repository, service
from herald.routing.models import Connection
from herald.routing.router import RouteLoader, Router, RouteRule
from herald.settings import Settings

log = structlog.get_logger(__name__)


def smpp_config(row: Connection, settings: Settings) -> SmppConfig:
    return SmppConfig(
        name=row.name,
        host=row.host,
        port=row.port,
        system_id=row.system_id,
        password=row.password,
        system_type=row.system_type,
        tps=row.tps,
        window=row.window,
        bind_mode=row.bind_mode,
        response_timeout=settings.smpp_response_timeout_seconds,
        enquire_link=settings.smpp_enquire_link_seconds,
        reconnect_max=settings.smpp_reconnect_max_seconds,
        # Well inside a dispatch lease, so that no other worker takes the batch over.
        submit_budget=max(1.0, min(20.0, settings.lease_seconds / 3)),
        redis_url=settings.redis_url,
    )


Config = SmppConfig | WhatsAppConfig | Mailbox
Opened = SmppProvider | WhatsAppProvider | EmailProvider


class Connections:
    """The carrier connections (SMPP, WhatsApp) and mailboxes (email) of this process, kept
    in step with the connections table: one added with `herald connection add` is opened
    within a few seconds, one removed is closed, one changed is re-opened with its new
    settings."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        inbound: InboundSink | None,
        mail: MailSink | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock
        self._inbound = inbound
        self._mail = mail

    def wanted(self) -> dict[str, Config]:
        with self._db.reading() as session:
            rows = repository.list_connections(session)
        wanted: dict[str, Config] = {}
        for row in rows:
            if row.type == "smpp":
                wanted[row.name] = smpp_config(row, self._settings)
            elif row.type == "email":
                wanted[row.name] = Mailbox.from_settings(row.name, row.settings or {})
            elif row.type == "whatsapp":
                wanted[row.name] = WhatsAppConfig.from_settings(row.name, row.settings or {})
        return wanted

    def build(self, config: Config) -> Opened:
        if isinstance(config, Mailbox):
            url = self._settings.effective_public_url
            return EmailProvider(config, url, self._db, self._clock)
        if isinstance(config, WhatsAppConfig):
            return WhatsAppProvider(config, redis_url=self._settings.redis_url)
        return SmppProvider(config, self._db, self._clock, self._inbound)

    def poll_mailboxes(self, router: Router, receipts: ReceiptSink) -> int:
        """Read the replies and bounces that reached the open mailboxes; how many."""
        if self._mail is None:
            return 0
        found = 0
        for provider in list(router.providers.values()):
            if not isinstance(provider, EmailProvider):
                continue
            inbox = Inbox(provider.config, self._db, self._clock, self._mail)
            try:
                found += inbox.poll(receipts)
            except Exception:
                log.exception("email.poll_failed", mailbox=provider.name)
        return found

    def providers(self) -> dict[str, Provider]:
        """The connections as the table has them now (not started)."""
        return {name: self.build(config) for name, config in self.wanted().items()}

    def sync(self, router: Router, receipts: ReceiptSink) -> int:
        """Open, close and re-open connections to match the table; how many changed."""
        wanted = self.wanted()
        running = {
            name: provider
            for name, provider in router.providers.items()
            if isinstance(provider, SmppProvider | EmailProvider | WhatsAppProvider)
        }
        changed = 0
        for name, provider in running.items():
            if wanted.get(name) != provider.config:
                router.detach(name)
                provider.stop()
                log.info("connection.closed", connection=name)
                changed += 1
        for name, config in wanted.items():
            current = running.get(name)
            if current is None or current.config != config:
                provider = self.build(config)
                provider.start(receipts)
                router.attach(provider)
                log.info("connection.opened", connection=name)
                changed += 1
        return changed


def route_loader(db: Database) -> RouteLoader:
    def load() -> list[RouteRule]:
        with db.reading() as session:
            return [service.route_rule(r) for r in repository.list_routes(session)]

    return load
