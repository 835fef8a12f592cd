"""SMPP 3.4 carrier connections: Herald as an ESME (client) of an operator's SMSC."""

from herald.providers.smpp.config import SmppConfig
from herald.providers.smpp.provider import SmppProvider

__all__ = ["SmppConfig", "SmppProvider"]
