"""SMPP 3.4 PDUs, encoded and decoded by smpplib: Herald writes no PDU codec of its own.

This module only adapts smpplib's objects to what the link needs (sequence numbers that the
link owns, typed reads of a few fields) and names the command statuses.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import smpplib.command
import smpplib.command_codes
import smpplib.consts as smpp_consts
import smpplib.exceptions
import smpplib.smpp

HEADER = struct.Struct(">LLLL")  # command_length, command_id, command_status, sequence_number
MAX_PDU_LENGTH = 64 * 1024

ESME_ROK = smpp_consts.SMPP_ESME_ROK
ESME_RINVCMDID = smpp_consts.SMPP_ESME_RINVCMDID
ESME_RSYSERR = smpp_consts.SMPP_ESME_RSYSERR
ESME_RMSGQFUL = smpp_consts.SMPP_ESME_RMSGQFUL
ESME_RTHROTTLED = smpp_consts.SMPP_ESME_RTHROTTLED
ESME_RX_T_APPN = smpp_consts.SMPP_ESME_RX_T_APPN

# Statuses that mean "not now": slow down and send the same message again later.
TEMPORARY_STATUSES = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR, ESME_RX_T_APPN})

_STATUS_NAMES = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(smpp_consts).items()
    if name.startswith("SMPP_ESME_R") and isinstance(value, int)
}


def status_name(status: int) -> str:
    """'ESME_RINVDSTADR' for 0x0B; the hex code for statuses SMPP 3.4 does not name."""
    return _STATUS_NAMES.get(status, f"ESME_0x{status:08X}")


def _first_name_by_code(names: dict[str, int]) -> dict[int, str]:
    by_code: dict[int, str] = {}
    for name, code in names.items():
        by_code.setdefault(code, name)  # smpplib's own lookups return the first name too
    return by_code


_COMMAND_NAMES = _first_name_by_code(smpplib.command_codes.commands)
_OPTIONAL_NAMES = _first_name_by_code(smpp_consts.OPTIONAL_PARAMS)


def _command_name(code: int) -> str:
    try:
        return _COMMAND_NAMES[code]
    except KeyError:
        raise smpplib.exceptions.UnknownCommandError(
            f"Unknown SMPP command code 0x{code:x}"
        ) from None


def _optional_name(code: int) -> str:
    try:
        return _OPTIONAL_NAMES[code]
    except KeyError:
        raise smpplib.exceptions.UnknownCommandError(f"Unknown SMPP optional 0x{code:x}") from None


# smpplib finds the name of a command id, and of each optional parameter's tag, by walking
# its table of names: twice per PDU for the command, once per optional parameter (a receipt
# carries several). Same answers from a dictionary built once: about 4% of Herald's CPU per
# message on the SMPP path was these walks (issue 12's profile).
smpplib.command_codes.get_command_name = _command_name
smpplib.command.get_optional_name = _optional_name


class CodecError(ValueError):
    """Bytes that are not a PDU we understand; the link answers generic_nack."""


class _LinkOwnsSequences:
    # smpplib asks a "client" for sequence numbers; ours are set by the link on each PDU.
    sequence = 0

    def next_sequence(self) -> int:
        return 0


_SEQUENCES = _LinkOwnsSequences()


@dataclass(frozen=True, slots=True)
class Pdu:
    command: str  # smpplib's names: "submit_sm_resp", "deliver_sm", ...
    status: int
    sequence: int
    body: Any  # smpplib's command object

    def text(self, field: str) -> str:
        """A C-octet string field as text ('' when absent)."""
        value = getattr(self.body, field, None)
        if value is None:
            return ""
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return str(value)

    def number(self, field: str) -> int | None:
        value = getattr(self.body, field, None)
        return int(value) if value is not None else None

    def octets(self, field: str) -> bytes:
        value = getattr(self.body, field, None)
        if value is None:
            return b""
        return value if isinstance(value, bytes) else str(value).encode("latin-1")

    @property
    def is_response(self) -> bool:
        return self.command.endswith("_resp") or self.command == "generic_nack"


def encode(command: str, sequence: int, status: int = ESME_ROK, **fields: Any) -> bytes:
    pdu = smpplib.smpp.make_pdu(command, client=_SEQUENCES, **fields)
    pdu.sequence = sequence
    pdu.status = status
    data: bytes = pdu.generate()
    return data


def decode(data: bytes) -> Pdu:
    try:
        _, command_id, status, sequence = HEADER.unpack_from(data)
        pdu = _blank(_command_name(command_id))
        pdu.parse(data)
    except (smpplib.exceptions.UnknownCommandError, struct.error, KeyError, ValueError) as exc:
        raise CodecError(str(exc)) from exc
    return Pdu(pdu.command, status, sequence, pdu)


_BLANKS: dict[str, Any] = {}


def _blank(command: str) -> Any:
    """A new smpplib object for `command`, as smpplib's factory makes it, copied from one made
    once: the factory sets every field one by one, which cost more than parsing the PDU. Every
    field of a fresh object is None or a number or string (the client is our one stub)."""
    blank = _BLANKS.get(command)
    if blank is None:
        blank = smpplib.smpp.make_pdu(command, client=_SEQUENCES, allow_unknown_opt_params=True)
        _BLANKS[command] = blank
    pdu = object.__new__(type(blank))
    pdu.__dict__.update(blank.__dict__)
    return pdu


def header_of(data: bytes) -> tuple[int, int, int, int]:
    length, command_id, status, sequence = HEADER.unpack_from(data)
    return length, command_id, status, sequence


class SubmitEncoder:
    """Encodes submit_sm with one smpplib object reused for every PDU: building a fresh one
    per part costs more than encoding it. One encoder per event loop (not thread-safe)."""

    def __init__(self) -> None:
        self._pdu = smpplib.smpp.make_pdu("submit_sm", client=_SEQUENCES)
        self._fields = frozenset(self._pdu.params)

    def encode(self, sequence: int, **fields: Any) -> bytes:
        pdu = self._pdu
        for name in self._fields:
            setattr(pdu, name, fields.get(name))
        pdu.sequence = sequence
        pdu.status = ESME_ROK
        data: bytes = pdu.generate()
        return data
