"""How a message's text becomes the short_message of each submit_sm. Every part is read
back with third-party decoders (smpp.pdu3's UDH parser, the gsm0338 codec), not ours."""

from __future__ import annotations

import uuid

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from hypothesis import given, settings
from hypothesis import strategies as st

from herald.messaging.encoding import _GSM7_SET
from herald.providers.smpp.segments import ESM_CLASS_UDHI, Part, segment

MESSAGE = uuid.UUID("01a201e5-af11-7100-b853-9ebb4fbadbd0")


def _read(part: Part) -> tuple[tuple[int, int, int] | None, str]:
    data = part.short_message
    concat = None
    if part.esm_class & ESM_CLASS_UDHI:
        header = data[: data[0] + 1]
        assert header[1:3] == b"\x00\x03"  # 8-bit reference concatenation element
        concat = (header[3], header[4], header[5])
        data = data[len(header) :]
    codec = "utf-16-be" if part.data_coding == 8 else "gsm03.38"
    return concat, data.decode(codec)


def test_a_short_gsm_text_is_one_part_without_a_header() -> None:
    [part] = segment(MESSAGE, "Flash Sale! 50% off this weekend.")
    assert (part.number, part.total, part.data_coding, part.esm_class) == (1, 1, 0, 0)
    assert _read(part) == (None, "Flash Sale! 50% off this weekend.")


def test_a_160_character_gsm_text_still_fits_in_one_part() -> None:
    assert len(segment(MESSAGE, "a" * 160)) == 1
    assert len(segment(MESSAGE, "a" * 161)) == 2


def test_one_character_outside_gsm_sends_the_whole_text_as_ucs2() -> None:
    [part] = segment(MESSAGE, "Olá, tudo bem? ✓")
    assert part.data_coding == 8
    assert _read(part) == (None, "Olá, tudo bem? ✓")


def test_long_text_parts_share_a_reference_and_number_themselves() -> None:
    parts = segment(MESSAGE, "x" * 400)
    reads = [_read(p) for p in parts]
    assert [r[0] for r in reads] == [(MESSAGE.int & 0xFF, 3, n) for n in (1, 2, 3)]
    assert all(p.esm_class == ESM_CLASS_UDHI for p in parts)
    assert [len(r[1]) for r in reads] == [153, 153, 94]


def test_an_escape_pair_is_never_split_between_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the euro sign's two septets would straddle part 1
    parts = segment(MESSAGE, text)
    first = _read(parts[0])[1]
    assert first == "a" * 152
    assert len(parts[0].short_message) == 6 + 152


gsm_text = st.text(alphabet=st.sampled_from(sorted(_GSM7_SET)), min_size=1, max_size=700)
any_text = st.text(min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(st.one_of(gsm_text, any_text))
def test_the_parts_read_back_to_the_original_text_within_the_size_limits(text: str) -> None:
    parts = segment(MESSAGE, text)
    reads = [_read(p) for p in parts]
    assert "".join(r[1] for r in reads) == text
    for part in parts:
        assert len(part.short_message) <= (140 if part.data_coding == 8 else 160)
    if len(parts) > 1:
        numbered = [(MESSAGE.int & 0xFF, len(parts), n) for n in range(1, len(parts) + 1)]
        assert [r[0] for r in reads] == numbered
