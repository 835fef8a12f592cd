"""WhatsApp Business Cloud API: the provider, its settings and its HTTP requests."""

from herald.providers.whatsapp.config import WhatsAppConfig
from herald.providers.whatsapp.provider import WhatsAppProvider

__all__ = ["WhatsAppConfig", "WhatsAppProvider"]
