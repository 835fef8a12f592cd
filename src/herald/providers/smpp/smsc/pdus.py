"""The test SMSC's PDUs, built and read with smpp.pdu3 (the codec Jasmin's lineage uses):
never with Herald's own SMPP code, so that client and SMSC cannot share a bug."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import gsm0338  # noqa: F401  (registers the "gsm03.38" text codec)
from smpp.pdu import operations, pdu_encoding, pdu_types
from smpp.pdu.pdu_types import CommandStatus, DataCodingDefault, DataCodingScheme
from smpp.pdu.sm_encoding import SMStringEncoder

# smpp.pdu3 ships no type hints; its PDU objects are typed loosely here.
PDU = Any
_ENCODER = pdu_encoding.PDUEncoder()
_SM = SMStringEncoder()

_RECEIPT_TEXT = (
    "id:{id} sub:001 dlvrd:{dlvrd} submit date:{at} done date:{at} stat:{stat} err:{err} text:"
)
_MESSAGE_STATE = {
    "DELIVRD": pdu_types.MessageState.DELIVERED,
    "UNDELIV": pdu_types.MessageState.UNDELIVERABLE,
    "EXPIRED": pdu_types.MessageState.EXPIRED,
    "REJECTD": pdu_types.MessageState.REJECTED,
    "DELETED": pdu_types.MessageState.DELETED,
}


def decode(frame: bytes) -> PDU:
    return _ENCODER.decode(io.BytesIO(frame))


def encode(pdu: PDU) -> bytes:
    data: bytes = _ENCODER.encode(pdu)
    return data


def command(pdu: PDU) -> str:
    return str(pdu.id.name)


def status(name: str) -> CommandStatus:
    return getattr(CommandStatus, name)


def response(request: PDU, status_name: str = "ESME_ROK", **params: object) -> PDU:
    """The response to `request` (bind_*_resp, submit_sm_resp, enquire_link_resp, ...)."""
    cls = operations.getPDUClass(getattr(pdu_types.CommandId, command(request) + "_resp"))
    return cls(request.seqNum, status=status(status_name), **params)


def generic_nack(sequence: int | None, status_name: str) -> PDU:
    return operations.GenericNack(sequence, status=status(status_name))


def enquire_link(sequence: int) -> PDU:
    return operations.EnquireLink(sequence)


def text(value: object) -> str:
    if value is None:
        return ""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def data_coding_number(pdu: PDU) -> int:
    coding = pdu.params["data_coding"]
    if coding.scheme == DataCodingScheme.DEFAULT:
        return {
            DataCodingDefault.SMSC_DEFAULT_ALPHABET: 0,
            DataCodingDefault.IA5_ASCII: 1,
            DataCodingDefault.LATIN_1: 3,
            DataCodingDefault.UCS2: 8,
        }.get(coding.schemeData, -1)
    return -1


def short_message(pdu: PDU) -> tuple[tuple[int, int, int] | None, str]:
    """((reference, total, number) of a concatenated part or None, the decoded text)."""
    _, udh_bytes, body = _SM.splitSM(pdu)
    concat = None
    if udh_bytes is not None:
        element = _SM.findConcatenatedSMInfoElement(_SM.decodeUDH(udh_bytes))
        if element is not None:
            data = element.data
            concat = (data.referenceNum, data.maximumNum, data.sequenceNum)
    coding = data_coding_number(pdu)
    if coding == 8:
        return concat, body.decode("utf-16-be")
    if coding == 0:
        return concat, body.decode("gsm03.38")
    return concat, body.decode("latin-1")


def receipt(
    sequence: int,
    source: str,
    destination: str,
    carrier_id: str,
    stat: str,
    err: str,
    *,
    text_id: str,
    with_tlv: bool,
    at: datetime,
) -> PDU:
    body = _RECEIPT_TEXT.format(
        id=text_id,
        dlvrd="001" if stat == "DELIVRD" else "000",
        at=at.strftime("%y%m%d%H%M"),
        stat=stat,
        err=err,
    )
    params: dict[str, object] = {}
    if with_tlv:
        params = {"receipted_message_id": carrier_id, "message_state": _MESSAGE_STATE[stat]}
    return operations.DeliverSM(
        sequence,
        source_addr_ton=pdu_types.AddrTon.INTERNATIONAL,
        source_addr_npi=pdu_types.AddrNpi.ISDN,
        source_addr=source,
        destination_addr=destination,
        esm_class=pdu_types.EsmClass(
            pdu_types.EsmClassMode.DEFAULT, pdu_types.EsmClassType.SMSC_DELIVERY_RECEIPT
        ),
        data_coding=pdu_types.DataCoding(),
        short_message=body.encode("ascii"),
        **params,
    )


def mobile_originated(
    sequence: int, source: str, destination: str, payload: bytes, ucs2: bool, udh: bytes = b""
) -> PDU:
    features = [pdu_types.EsmClassGsmFeatures.UDHI_INDICATOR_SET] if udh else []
    coding = (
        pdu_types.DataCoding(schemeData=DataCodingDefault.UCS2) if ucs2 else pdu_types.DataCoding()
    )
    return operations.DeliverSM(
        sequence,
        source_addr_ton=pdu_types.AddrTon.INTERNATIONAL,
        source_addr_npi=pdu_types.AddrNpi.ISDN,
        source_addr=source,
        destination_addr=destination,
        esm_class=pdu_types.EsmClass(
            pdu_types.EsmClassMode.DEFAULT, pdu_types.EsmClassType.DEFAULT, features
        ),
        data_coding=coding,
        short_message=udh + payload,
    )


def encode_text(value: str) -> tuple[bytes, bool]:
    """(bytes, is_ucs2): GSM 03.38 when every character has a GSM code, else UTF-16BE."""
    try:
        return value.encode("gsm03.38"), False
    except UnicodeEncodeError:
        return value.encode("utf-16-be"), True
