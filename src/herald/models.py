"""Imports every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from herald.billing import models as billing_models
from herald.idempotency import models as idempotency_models
from herald.inbound import models as inbound_models
from herald.kit.db import Base
from herald.messaging import models as messaging_models
from herald.outreach import models as outreach_models
from herald.providers.email import models as email_models
from herald.providers.smpp import models as smpp_models
from herald.routing import models as routing_models
from herald.tenancy import models as tenancy_models
from herald.voice import models as voice_models
from herald.webhooks import models as webhooks_models
from herald.whatsapp import models as whatsapp_models

__all__ = [
    "Base",
    "billing_models",
    "email_models",
    "idempotency_models",
    "inbound_models",
    "messaging_models",
    "outreach_models",
    "routing_models",
    "smpp_models",
    "tenancy_models",
    "voice_models",
    "webhooks_models",
    "whatsapp_models",
]
