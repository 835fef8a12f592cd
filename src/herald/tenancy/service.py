"""Tenants, API keys, scopes and sender IDs."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.tenancy import repository
from herald.tenancy.models import ApiKey, Organization, Remitter

KEY_PREFIX = "hk_live_"

# Scopes of the messaging API (/c/v1), as seed 000/002/003 name them.
CAMPAIGN_READ = "apikey:campaign:read"
CAMPAIGN_SEND = "apikey:campaign:send"
MESSAGES_READ = "apikey:messages:read"
MESSAGES_SEND = "apikey:messages:send"
MESSAGING_SCOPES = (CAMPAIGN_READ, CAMPAIGN_SEND, MESSAGES_READ, MESSAGES_SEND)
# Permissions of the outreach API (/v1/accounts), as seed 001 names them.
OUTREACH_CAMPAIGNS_READ = "campaigns:read"
OUTREACH_CAMPAIGNS_WRITE = "campaigns:write"
OUTREACH_LEADS_READ = "leads:read"
OUTREACH_LEADS_WRITE = "leads:write"
OUTREACH_SCOPES = (
    OUTREACH_CAMPAIGNS_READ,
    OUTREACH_CAMPAIGNS_WRITE,
    OUTREACH_LEADS_READ,
    OUTREACH_LEADS_WRITE,
)
# Permissions of the voice API (/v1/campaigns, /v1/agents, /v1/phone-numbers); seed 004
# names none, so they carry a "voice:" prefix that keeps them apart from the outreach ones.
VOICE_AGENTS_READ = "voice:agents:read"
VOICE_AGENTS_WRITE = "voice:agents:write"
VOICE_NUMBERS_READ = "voice:phone_numbers:read"
VOICE_NUMBERS_WRITE = "voice:phone_numbers:write"
VOICE_CAMPAIGNS_READ = "voice:campaigns:read"
VOICE_CAMPAIGNS_WRITE = "voice:campaigns:write"
VOICE_CALLS_READ = "voice:calls:read"
VOICE_SCOPES = (
    VOICE_AGENTS_READ,
    VOICE_AGENTS_WRITE,
    VOICE_NUMBERS_READ,
    VOICE_NUMBERS_WRITE,
    VOICE_CAMPAIGNS_READ,
    VOICE_CAMPAIGNS_WRITE,
    VOICE_CALLS_READ,
)
# Registering webhook endpoints and reading their delivery log (/c/v1/webhooks).
WEBHOOKS_MANAGE = "apikey:webhooks:manage"
ALL_SCOPES = MESSAGING_SCOPES + OUTREACH_SCOPES + VOICE_SCOPES + (WEBHOOKS_MANAGE,)
# The platform's carrier connections and routes (/c/v1/connections, /c/v1/routes): for the
# operator's own key only, so never among a new key's default scopes.
OPERATOR_CARRIERS_READ = "operator:carriers:read"
# Creating and revoking the tenant's keys from the dashboard: never among a new key's
# default scopes (the operator grants it with `herald key create --scopes`), and a key that
# holds it may only grant scopes it holds itself.
KEYS_MANAGE = "apikey:keys:manage"
GRANTABLE_SCOPES = (*ALL_SCOPES, OPERATOR_CARRIERS_READ, KEYS_MANAGE)

# GSM alphanumeric sender IDs are at most 11 characters; numeric ones at most 15 digits.
_REMITTER_NAME = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-_&]{1,11}$|^\+?\d{3,15}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key, its tenant, the tenant's wallet and what the key may do."""

    key_id: uuid.UUID
    organization_id: uuid.UUID
    billing_account_id: uuid.UUID
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(scope)


@dataclass(frozen=True, slots=True)
class NewTenant:
    organization: Organization
    billing_account_id: uuid.UUID
    api_key: str
    key_id: uuid.UUID
    remitter: Remitter


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough to make a leaked table useless.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_tenant(
    session: Session,
    clock: Clock,
    *,
    name: str,
    balance_micros: int = 0,
    currency: str = "USD",
    remitter_name: str = "Herald",
) -> NewTenant:
    now = clock.now()
    org = Organization(id=new_id(), name=name, created_at=now)
    repository.add(session, org)
    account = billing.open_account(session, clock, org.id, currency=currency)
    if balance_micros:
        billing.top_up(session, clock, account.id, balance_micros, "Opening balance")
    new_key = create_key(session, clock, org.id, name="default")
    remitter = create_remitter(session, clock, org.id, remitter_name)
    return NewTenant(org, account.id, new_key.secret, new_key.key.id, remitter)


def create_key(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    *,
    name: str,
    scopes: tuple[str, ...] = ALL_SCOPES,
) -> NewKey:
    if repository.get_organization(session, organization_id) is None:
        raise NotFound("The organization does not exist.")
    unknown = set(scopes) - set(GRANTABLE_SCOPES)
    if unknown:
        raise ValidationFailed({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}."})
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(),
        organization_id=organization_id,
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 6],
        secret_hash=hash_secret(secret),
        scopes=list(scopes),
        created_at=clock.now(),
    )
    repository.add(session, key)
    return NewKey(key, secret)


def revoke_key(session: Session, clock: Clock, key_id: uuid.UUID) -> ApiKey:
    key = repository.get_key(session, key_id)
    if key is None:
        raise NotFound("The API key does not exist.")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    return key


def delegate_key(
    session: Session, clock: Clock, principal: Principal, name: str, scopes: tuple[str, ...]
) -> NewKey:
    """A new key of the caller's tenant, with no scope the caller does not hold itself."""
    principal.require(KEYS_MANAGE)
    if not name.strip():
        raise ValidationFailed({"name": "Give the key a name."})
    if not scopes:
        raise ValidationFailed({"scopes": "Choose at least one scope."})
    beyond = set(scopes) - principal.scopes
    if beyond:
        raise ValidationFailed({"scopes": f"Scopes this key lacks: {', '.join(sorted(beyond))}."})
    return create_key(session, clock, principal.organization_id, name=name.strip(), scopes=scopes)


def revoke_own_key(session: Session, clock: Clock, principal: Principal, key_id: uuid.UUID) -> None:
    """Revokes a key of the caller's tenant (the caller's own too: it signs it out)."""
    principal.require(KEYS_MANAGE)
    key = repository.get_key(session, key_id)
    if key is None or key.organization_id != principal.organization_id:
        raise NotFound("The API key does not exist.")
    revoke_key(session, clock, key_id)


def authenticate(session: Session, secret: str | None) -> Principal:
    if not secret:
        raise Unauthenticated("The provided API key is invalid or has been revoked.")
    key = repository.find_key_by_hash(session, hash_secret(secret))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("The provided API key is invalid or has been revoked.")
    account = billing.account_of(session, key.organization_id)
    return Principal(key.id, key.organization_id, account.id, frozenset(key.scopes))


def require_organization(session: Session, organization_id: uuid.UUID) -> None:
    if repository.get_organization(session, organization_id) is None:
        raise NotFound(f"No organization with id {organization_id}.")


def list_keys(session: Session, organization_id: uuid.UUID) -> list[ApiKey]:
    require_organization(session, organization_id)
    return repository.list_keys(session, organization_id)


def list_remitters(session: Session, organization_id: uuid.UUID) -> list[Remitter]:
    require_organization(session, organization_id)
    return repository.list_remitters(session, organization_id)


def create_remitter(
    session: Session, clock: Clock, organization_id: uuid.UUID, name: str
) -> Remitter:
    require_organization(session, organization_id)
    if not _REMITTER_NAME.match(name):
        raise ValidationFailed(
            {"name": "A sender ID is 1-11 letters/digits with a letter, or 3-15 digits."}
        )
    remitter = Remitter(
        id=new_id(),
        organization_id=organization_id,
        name=name,
        status="APPROVED",
        created_at=clock.now(),
    )
    repository.add(session, remitter)
    return remitter


def approved_remitter(
    session: Session, organization_id: uuid.UUID, remitter_id: uuid.UUID, field: str
) -> Remitter:
    """The tenant's approved sender ID, or a validation error naming `field`."""
    remitter = repository.get_remitter(session, remitter_id)
    if remitter is None or remitter.organization_id != organization_id:
        raise ValidationFailed({field: "No approved sender ID with this id exists."})
    if remitter.status != "APPROVED":
        raise ValidationFailed({field: "This sender ID is not approved."})
    return remitter
