"""The strict parts of the SIP trunk: what each SIP code means, RTP and telephone-event
packets, the SDP answer, the ACK of a failure, G.711."""

from __future__ import annotations

from array import array

import pytest
from aiosipua import SipRequest, SipResponse

from herald.providers.sip import g711, sdp
from herald.providers.sip.outcome import Verdict, judge, retry_after_seconds
from herald.providers.sip.rtp import RtpError, RtpPacket, ToneEvent
from herald.providers.sip.signalling import failure_ack


@pytest.mark.parametrize(
    ("status", "verdict", "code"),
    [
        (180, Verdict.RINGING, None),
        (183, Verdict.RINGING, None),
        (200, Verdict.ANSWERED, None),
        (486, Verdict.BUSY, "SIP_486"),
        (600, Verdict.BUSY, "SIP_600"),
        (487, Verdict.NO_ANSWER, "SIP_487"),
        (503, Verdict.RETRY, "SIP_503"),
        (500, Verdict.RETRY, "SIP_500"),
        (404, Verdict.FAILED, "SIP_404"),
        (603, Verdict.FAILED, "SIP_603"),
    ],
)
def test_each_final_answer_has_one_meaning(status: int, verdict: Verdict, code: str) -> None:
    judgement = judge(status)
    assert judgement is not None
    assert (judgement.verdict, judgement.error_code) == (verdict, code)


def test_trying_changes_nothing_and_nonsense_codes_are_refused() -> None:
    assert judge(100) is None
    with pytest.raises(ValueError):
        judge(99)
    with pytest.raises(ValueError):
        judge(700)


def test_retry_after_takes_the_seconds_and_ignores_comments_and_nonsense() -> None:
    assert retry_after_seconds("120 (maintenance);duration=60", 30) == 120
    assert retry_after_seconds("soon", 30) == 30
    assert retry_after_seconds(None, 30) == 30


def test_rtp_packets_round_trip_and_broken_ones_are_refused() -> None:
    packet = RtpPacket(0, True, 65535, 4000, 0xDEADBEEF, b"\xff" * 160)
    assert RtpPacket.parse(packet.pack()) == packet
    with pytest.raises(RtpError):
        RtpPacket.parse(b"\x80\x00")
    with pytest.raises(RtpError):
        RtpPacket.parse(b"\x40" + packet.pack()[1:])  # version 1
    with_csrc = b"\x81" + packet.pack()[1:12] + b"\x00\x00\x00\x01" + b"ab"
    assert RtpPacket.parse(with_csrc).payload == b"ab"


def test_telephone_events_name_their_key() -> None:
    assert ToneEvent.parse(bytes([1, 0x80, 0x03, 0x20])) == ToneEvent("1", True, 800)
    assert ToneEvent.parse(bytes([11, 0, 0, 160])).key == "#"
    with pytest.raises(RtpError):
        ToneEvent.parse(bytes([16, 0, 0, 0]))  # not a DTMF event
    with pytest.raises(RtpError):
        ToneEvent.parse(b"\x01")


ANSWER = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
)


def test_the_answer_chooses_codec_address_and_telephone_event() -> None:
    choice = sdp.choose(ANSWER)
    assert (choice.address, choice.port, choice.codec) == ("10.0.0.9", 40000, "PCMA")
    assert (choice.payload_type, choice.dtmf_payload_type) == (8, 96)


def test_an_answer_without_a_codec_we_offered_is_refused() -> None:
    with pytest.raises(sdp.SdpError):
        sdp.choose(ANSWER.replace("8 96", "18 96").replace("8 PCMA", "18 G729"))
    with pytest.raises(sdp.SdpError):
        sdp.choose(ANSWER.replace("m=audio 40000", "m=audio 0"))


def test_our_offer_lists_both_g711_laws_and_telephone_event() -> None:
    offer = sdp.offer("127.0.0.1", 4000, 1)
    assert "m=audio 4000 RTP/AVP 0 8 101\r\n" in offer
    assert "a=rtpmap:101 telephone-event/8000\r\n" in offer


def test_the_ack_of_a_failure_belongs_to_the_invite_transaction() -> None:
    invite = SipRequest(method="INVITE", uri="sip:+351211234567@trunk")
    invite.headers.set_single("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc")
    invite.headers.set_single("From", "<sip:+351211000000@herald>;tag=ours")
    invite.headers.set_single("To", "<sip:+351211234567@trunk>")
    invite.headers.set_single("Call-ID", "c1@127.0.0.1")
    invite.headers.set_single("CSeq", "2 INVITE")
    busy = SipResponse(status_code=486, reason_phrase="Busy Here")
    busy.headers.set_single("To", "<sip:+351211234567@trunk>;tag=theirs")
    ack = failure_ack(invite, busy)
    assert (ack.method, ack.uri) == ("ACK", invite.uri)
    assert ack.headers.get_first("Via") == invite.headers.get_first("Via")
    assert ack.headers.get_first("To") == "<sip:+351211234567@trunk>;tag=theirs"
    assert ack.headers.get_first("CSeq") == "2 ACK"


def test_g711_keeps_speech_within_its_quantisation() -> None:
    samples = array("h", [0, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000])
    for codec in ("PCMU", "PCMA"):
        back = g711.decode(g711.encode(samples, codec), codec)
        for before, after in zip(samples, back, strict=True):
            assert abs(before - after) <= max(16, abs(before) // 16)
    assert g711.encode(array("h", [0]), "PCMU") == b"\xff"
    assert g711.encode(array("h", [0]), "PCMA") == b"\xd5"
