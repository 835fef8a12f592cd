"""Reading deliver_sm: receipts and mobile-originated messages. The PDUs are built with
smpp.pdu3 (as a real SMSC would send them) and read with Herald's smpplib-based codec."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald.providers.base import ReceiptStatus
from herald.providers.smpp import codec, deliveries
from herald.providers.smpp.smsc import pdus

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _receipt(stat: str, *, tlv: bool = True, text_id: str = "1A2B") -> codec.Pdu:
    pdu = pdus.receipt(
        7, "244990000001", "Herald", "1A2B", stat, "042", text_id=text_id, with_tlv=tlv, at=AT
    )
    return codec.decode(pdus.encode(pdu))


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("DELIVRD", ReceiptStatus.DELIVERED),
        ("UNDELIV", ReceiptStatus.UNDELIVERED),
        ("EXPIRED", ReceiptStatus.EXPIRED),
        ("REJECTD", ReceiptStatus.REJECTED),
        ("DELETED", ReceiptStatus.FAILED),
    ],
)
@pytest.mark.parametrize("tlv", [True, False])
def test_a_receipt_maps_to_the_final_message_status(
    stat: str, status: ReceiptStatus, tlv: bool
) -> None:
    pdu = _receipt(stat, tlv=tlv)
    assert deliveries.is_receipt(pdu)
    receipt = deliveries.read_receipt(pdu)
    assert receipt is not None
    assert (receipt.carrier_message_id, receipt.status) == ("1A2B", status)
    expected_error = None if status is ReceiptStatus.DELIVERED else f"{stat}:042"
    assert receipt.error_code == expected_error


def test_without_the_tlv_the_id_comes_from_the_receipt_text() -> None:
    receipt = deliveries.read_receipt(_receipt("DELIVRD", tlv=False, text_id="6699"))
    assert receipt is not None
    assert receipt.carrier_message_id == "6699"


def test_a_receipt_id_matches_its_hex_and_decimal_spellings() -> None:
    assert set(deliveries.id_candidates("6699")) >= {"6699", "1a2b", "1A2B", str(0x6699)}
    assert "6699" in deliveries.id_candidates("1A2B")
    assert deliveries.id_candidates("msg-abc") == ["msg-abc"]


def test_a_plain_message_from_a_person_is_not_a_receipt() -> None:
    pdu = codec.decode(
        pdus.encode(pdus.mobile_originated(3, "244990000001", "55123", b"STOP", False))
    )
    assert not deliveries.is_receipt(pdu)
    mo = deliveries.read_mobile_originated(pdu)
    assert (mo.source, mo.destination, mo.text, mo.concat) == (
        "244990000001",
        "55123",
        "STOP",
        None,
    )


def test_a_ucs2_part_of_a_long_reply_carries_its_concatenation_header() -> None:
    payload, ucs2 = pdus.encode_text("Obrigado ✓")
    assert ucs2
    udh = bytes((5, 0, 3, 42, 2, 1))
    pdu = codec.decode(
        pdus.encode(pdus.mobile_originated(4, "244990000001", "55123", payload, True, udh))
    )
    mo = deliveries.read_mobile_originated(pdu)
    assert (mo.text, mo.concat) == ("Obrigado ✓", (42, 2, 1))


def test_gsm_text_with_extension_characters_is_decoded() -> None:
    payload, ucs2 = pdus.encode_text("Price: 5€ [promo]")
    assert not ucs2
    pdu = codec.decode(
        pdus.encode(pdus.mobile_originated(5, "244990000001", "55123", payload, False))
    )
    assert deliveries.read_mobile_originated(pdu).text == "Price: 5€ [promo]"
