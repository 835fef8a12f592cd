"""A test SMSC (SMPP 3.4 server) built on smpp.pdu3, for tests, benchmarks and local trials."""

from herald.providers.smpp.smsc.server import Accepted, Smsc, SmscBehaviour
from herald.providers.smpp.smsc.thread import SmscThread

__all__ = ["Accepted", "Smsc", "SmscBehaviour", "SmscThread"]
