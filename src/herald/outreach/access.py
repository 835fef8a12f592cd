"""Account groups and which API keys may act on them.

A key reaches an account group only through an `account_group_access` row: a key with no
rows reaches none (deny by default, so that a new key never sees a sales team's leads by
accident). An unknown group and a group the key may not use get the same answer, so that
a key cannot probe for the groups of other tenants.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from herald.errors import Forbidden, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.outreach import repository
from herald.outreach.models import AccountGroup, AccountGroupAccess
from herald.tenancy import repository as tenancy
from herald.tenancy.service import Principal


class NoAccountGroupAccess(Forbidden):
    code = "ACCOUNT_GROUP_ACCESS_DENIED"

    def __init__(self) -> None:
        super().__init__(
            "account_group_access", "This API key has no access to this account group."
        )


def create_group(
    session: Session, clock: Clock, organization_id: uuid.UUID, name: str
) -> AccountGroup:
    if not name.strip() or len(name) > 200:
        raise ValidationFailed({"name": "A name is 1 to 200 characters."})
    if tenancy.get_organization(session, organization_id) is None:
        raise NotFound("The organization does not exist.")
    group = AccountGroup(
        id=new_id(), organization_id=organization_id, name=name.strip(), created_at=clock.now()
    )
    repository.add(session, group)
    return group


def get_group(session: Session, group_id: uuid.UUID) -> AccountGroup:
    group = repository.get_group(session, group_id)
    if group is None:
        raise NotFound("The account group does not exist.")
    return group


def list_groups(session: Session, organization_id: uuid.UUID) -> list[AccountGroup]:
    return repository.list_groups(session, organization_id)


def grant(session: Session, clock: Clock, group_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Let the key act on the group (both of one tenant); granting twice is harmless."""
    group = get_group(session, group_id)
    key = tenancy.get_key(session, key_id)
    if key is None or key.organization_id != group.organization_id:
        raise NotFound("No API key with this id in the account group's organization.")
    if not repository.has_access(session, key_id, group_id):
        repository.add(
            session,
            AccountGroupAccess(
                api_key_id=key_id, account_group_id=group_id, created_at=clock.now()
            ),
        )


def revoke(session: Session, group_id: uuid.UUID, key_id: uuid.UUID) -> None:
    get_group(session, group_id)  # an unknown group is named as such
    if not repository.remove_access(session, key_id, group_id):
        raise NotFound("This API key has no access to this account group: nothing to revoke.")


def keys_of_group(session: Session, group_id: uuid.UUID) -> list[uuid.UUID]:
    return repository.keys_of_group(session, group_id)


def groups_of(session: Session, principal: Principal) -> list[AccountGroup]:
    return repository.groups_of_key(session, principal.key_id)


def require_access(session: Session, principal: Principal, group_id: uuid.UUID) -> AccountGroup:
    group = repository.get_group(session, group_id)
    if (
        group is None
        or group.organization_id != principal.organization_id
        or not repository.has_access(session, principal.key_id, group_id)
    ):
        raise NoAccountGroupAccess()
    return group
