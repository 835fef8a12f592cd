"""Imports every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from herald.billing import models as billing_models
from herald.kit.db import Base
from herald.messaging import models as messaging_models
from herald.routing import models as routing_models
from herald.tenancy import models as tenancy_models

__all__ = ["Base", "billing_models", "messaging_models", "routing_models", "tenancy_models"]
