"""Our SDP offer (RFC 4566/3264: PCMU, PCMA, telephone-event) and what the answer chose."""

from __future__ import annotations

from dataclasses import dataclass

from aiosipua import SdpMessage, parse_sdp

PCMU, PCMA, TELEPHONE_EVENT = 0, 8, 101
STATIC = {PCMU: "PCMU", PCMA: "PCMA"}


class SdpError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MediaChoice:
    address: str
    port: int
    codec: str  # "PCMU" or "PCMA"
    payload_type: int
    dtmf_payload_type: int | None


def offer(host: str, rtp_port: int, session_id: int) -> str:
    lines = [
        "v=0",
        f"o=herald {session_id} {session_id} IN IP4 {host}",
        "s=herald",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {rtp_port} RTP/AVP {PCMU} {PCMA} {TELEPHONE_EVENT}",
        f"a=rtpmap:{PCMU} PCMU/8000",
        f"a=rtpmap:{PCMA} PCMA/8000",
        f"a=rtpmap:{TELEPHONE_EVENT} telephone-event/8000",
        f"a=fmtp:{TELEPHONE_EVENT} 0-16",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return "\r\n".join(lines) + "\r\n"


def choose(answer: str) -> MediaChoice:
    """The first audio stream of the answer, its first G.711 format and its telephone-event
    payload type; SdpError when it has none we offered."""
    return choose_media(parse_sdp(answer))


def choose_media(sdp: SdpMessage) -> MediaChoice:
    audio = next((m for m in sdp.media if m.media == "audio" and m.port > 0), None)
    if audio is None:
        raise SdpError("no audio stream in the answer")
    connection = audio.connection or sdp.connection
    if connection is None or not connection.address:
        raise SdpError("no connection address in the answer")
    names = {c.payload_type: c.encoding_name.upper() for c in audio.codecs}
    dtmf: int | None = None
    codec: tuple[str, int] | None = None
    for fmt in audio.formats:
        if not fmt.isdigit():
            raise SdpError(f"not an RTP payload type: {fmt!r}")
        pt = int(fmt)
        name = names.get(pt) or STATIC.get(pt, "")
        if name == "TELEPHONE-EVENT" and dtmf is None:
            dtmf = pt
        elif name in ("PCMU", "PCMA") and codec is None:
            codec = (name, pt)
    if codec is None:
        raise SdpError("the answer chose no codec we offered (PCMU, PCMA)")
    return MediaChoice(connection.address, audio.port, codec[0], codec[1], dtmf)
