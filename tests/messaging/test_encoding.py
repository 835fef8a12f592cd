"""Behaviour of GSM 03.38 / UCS-2 detection, counting and segmentation."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.messaging.encoding import (
    DATA_CODING,
    Encoding,
    TextInfo,
    analyse,
    decode_gsm7_unpacked,
    detect_encoding,
    encode_gsm7_unpacked,
    encode_ucs2,
    split_parts,
)

# Written out independently of the module, straight from the TS 23.038 table,
# so the tests check the implementation rather than restate it.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"
GSM_ALL = frozenset(GSM_BASIC + GSM_EXTENSION)

SINGLE_LIMIT = {Encoding.GSM7: 160, Encoding.UCS2: 70}
PART_LIMIT = {Encoding.GSM7: 153, Encoding.UCS2: 67}

EMOJI = "😀"  # U+1F600, a surrogate pair in UTF-16


def reference_units(text: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return sum(2 if char in GSM_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def septets(text: str) -> list[int]:
    return list(encode_gsm7_unpacked(text))


# --- Hypothesis strategies ---------------------------------------------------

gsm_chars = st.sampled_from(sorted(GSM_ALL))
# Biased towards extension characters so escape pairs land on part boundaries.
gsm_text = st.text(alphabet=st.one_of(gsm_chars, st.sampled_from(GSM_EXTENSION)), max_size=500)
# Mostly BMP with plenty of astral characters, so surrogate pairs hit boundaries.
ucs2_text = st.text(
    alphabet=st.one_of(
        gsm_chars,
        st.characters(min_codepoint=0x80, max_codepoint=0xFFFF, exclude_categories=["Cs"]),
        st.characters(min_codepoint=0x10000),
    ),
    max_size=250,
)
any_text = st.one_of(st.text(), gsm_text, ucs2_text)


# --- Detection ----------------------------------------------------------------


def test_plain_ascii_text_is_gsm7() -> None:
    assert detect_encoding("Hello Anna, your code is 1234. Reply STOP to opt out.") == Encoding.GSM7


def test_every_basic_and_extension_character_is_gsm7() -> None:
    assert len(GSM_BASIC) == 127  # 128 slots minus ESC
    assert detect_encoding(GSM_BASIC + GSM_EXTENSION) == Encoding.GSM7


@pytest.mark.parametrize(
    "char",
    [
        "`",  # ASCII but not in GSM 03.38
        "\t",
        "\x1b",  # the ESC slot is not a character
        "ç",  # only Ç is in the table
        "á",
        "\u2126",  # OHM SIGN, a look-alike of the Greek Ω that is in the table
        "\u2206",  # INCREMENT, a look-alike of Δ
        "’",  # typographic apostrophe
        "₤",  # lira sign, not £
        EMOJI,
    ],
)
def test_one_non_gsm_character_makes_the_whole_text_ucs2(char: str) -> None:
    text = "Hello there, this is plain text " + char
    assert detect_encoding(text) == Encoding.UCS2
    assert analyse(text).encoding == Encoding.UCS2


def test_empty_text_is_one_gsm7_segment_of_zero_units() -> None:
    assert analyse("") == TextInfo(encoding=Encoding.GSM7, units=0, segments=1)
    assert split_parts("") == [""]


# --- Counting -----------------------------------------------------------------


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_each_extension_character_costs_two_septets(char: str) -> None:
    assert analyse("a" + char).units == 3


def test_basic_characters_cost_one_septet_including_cr_and_lf() -> None:
    assert analyse(GSM_BASIC).units == 127
    assert analyse("line\r\nnext").units == 10


def test_ucs2_counts_bmp_characters_as_one_unit_and_emoji_as_two() -> None:
    assert analyse("Привет").units == 6
    assert analyse("Hi " + EMOJI).units == 5


# --- Single-message boundaries ---------------------------------------------------


def test_160_gsm_septets_fit_in_one_segment() -> None:
    assert analyse("a" * 160) == TextInfo(Encoding.GSM7, 160, 1)


def test_161_gsm_septets_need_two_segments() -> None:
    assert analyse("a" * 161) == TextInfo(Encoding.GSM7, 161, 2)


def test_extension_character_counts_two_at_the_single_message_boundary() -> None:
    assert analyse("a" * 158 + "€") == TextInfo(Encoding.GSM7, 160, 1)
    assert analyse("a" * 159 + "€") == TextInfo(Encoding.GSM7, 161, 2)


def test_70_ucs2_units_fit_in_one_segment() -> None:
    assert analyse("ж" * 70) == TextInfo(Encoding.UCS2, 70, 1)


def test_71_ucs2_units_need_two_segments() -> None:
    assert analyse("ж" * 71) == TextInfo(Encoding.UCS2, 71, 2)


def test_emoji_counts_two_units_at_the_single_message_boundary() -> None:
    assert analyse(EMOJI * 35) == TextInfo(Encoding.UCS2, 70, 1)
    assert analyse("ж" + EMOJI * 35) == TextInfo(Encoding.UCS2, 71, 2)


# --- Multipart boundaries --------------------------------------------------------


def test_two_full_gsm_parts_hold_306_septets() -> None:
    assert analyse("a" * 153 * 2).segments == 2
    assert [len(part) for part in split_parts("a" * 153 * 2)] == [153, 153]


def test_307_gsm_septets_need_three_parts() -> None:
    assert analyse("a" * (153 * 2 + 1)).segments == 3
    assert [len(part) for part in split_parts("a" * (153 * 2 + 1))] == [153, 153, 1]


def test_two_full_ucs2_parts_hold_134_units() -> None:
    assert analyse("ж" * 67 * 2).segments == 2
    assert [len(part) for part in split_parts("ж" * 67 * 2)] == [67, 67]


def test_135_ucs2_units_need_three_parts() -> None:
    assert analyse("ж" * (67 * 2 + 1)).segments == 3
    assert [len(part) for part in split_parts("ж" * (67 * 2 + 1))] == [67, 67, 1]


def test_extension_character_counts_two_at_the_multipart_boundary() -> None:
    assert analyse("a" * 304 + "€").segments == 2  # 306 septets
    assert analyse("a" * 305 + "€").segments == 3  # 307 septets


# --- Pairs are never split -------------------------------------------------------


def test_escape_pair_that_would_straddle_a_part_moves_to_the_next_part() -> None:
    parts = split_parts("a" * 152 + "€" + "b" * 10)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert septets(parts[0]) == [0x61] * 152
    assert septets(parts[1])[:2] == [0x1B, 0x65]


def test_escape_pair_ending_exactly_on_the_part_limit_stays() -> None:
    parts = split_parts("a" * 151 + "€" + "b" * 10)
    assert parts == ["a" * 151 + "€", "b" * 10]


def test_unsplittable_escape_pairs_can_need_more_parts_than_the_septet_count_suggests() -> None:
    # 306 septets would fit two full parts, but the first part can only hold
    # 152 and the second 76 escape pairs (152 septets), so a third is needed.
    text = "a" * 152 + "€" * 77
    assert analyse(text) == TextInfo(Encoding.GSM7, 306, 3)
    assert split_parts(text) == ["a" * 152, "€" * 76, "€"]


def test_surrogate_pair_that_would_straddle_a_part_moves_to_the_next_part() -> None:
    parts = split_parts("ж" * 66 + EMOJI + "ж" * 10)
    assert parts == ["ж" * 66, EMOJI + "ж" * 10]


def test_unsplittable_surrogate_pairs_can_need_more_parts_than_the_unit_count_suggests() -> None:
    text = "ж" * 66 + EMOJI * 34  # 134 units, yet 66 + 66 + 2
    assert analyse(text) == TextInfo(Encoding.UCS2, 134, 3)
    assert split_parts(text) == ["ж" * 66, EMOJI * 33, EMOJI]


# --- Byte encodings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("@", 0x00),
        ("£", 0x01),
        ("$", 0x02),
        ("Ç", 0x09),
        ("\n", 0x0A),
        ("\r", 0x0D),
        ("Δ", 0x10),
        ("_", 0x11),
        ("Ξ", 0x1A),
        ("É", 0x1F),
        ("¤", 0x24),
        ("¡", 0x40),
        ("§", 0x5F),
        ("¿", 0x60),
        ("à", 0x7F),
        ("A", 0x41),
        ("z", 0x7A),
    ],
)
def test_basic_characters_encode_to_their_table_position(char: str, code: int) -> None:
    assert encode_gsm7_unpacked(char) == bytes([code])
    assert decode_gsm7_unpacked(bytes([code])) == char


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\f", 0x0A),
        ("^", 0x14),
        ("{", 0x28),
        ("}", 0x29),
        ("\\", 0x2F),
        ("[", 0x3C),
        ("~", 0x3D),
        ("]", 0x3E),
        ("|", 0x40),
        ("€", 0x65),
    ],
)
def test_extension_characters_encode_as_escape_plus_code(char: str, code: int) -> None:
    assert encode_gsm7_unpacked(char) == bytes([0x1B, code])
    assert decode_gsm7_unpacked(bytes([0x1B, code])) == char


def test_encoding_a_non_gsm_character_raises_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r"U\+00E1.*position 3"):
        encode_gsm7_unpacked("abcá")


def test_decoding_a_byte_above_0x7f_raises_value_error() -> None:
    with pytest.raises(ValueError, match="0x80"):
        decode_gsm7_unpacked(b"ab\x80")


def test_decoding_a_dangling_escape_raises_value_error() -> None:
    with pytest.raises(ValueError, match="escape"):
        decode_gsm7_unpacked(b"ab\x1b")


def test_decoding_an_unknown_escape_shows_the_basic_character() -> None:
    # TS 23.038: a code with no extension character displays as the basic one.
    assert decode_gsm7_unpacked(b"\x1b\x41") == "A"


def test_decoding_a_double_escape_shows_a_space() -> None:
    # TS 23.038 reserves ESC ESC for another table and says to display a space.
    assert decode_gsm7_unpacked(b"a\x1b\x1bb") == "a b"


def test_ucs2_is_utf16_big_endian_with_surrogate_pairs() -> None:
    assert encode_ucs2("é") == b"\x00\xe9"
    assert encode_ucs2(EMOJI) == b"\xd8\x3d\xde\x00"


def test_ucs2_encoding_rejects_a_lone_surrogate() -> None:
    with pytest.raises(ValueError):
        encode_ucs2("\ud83d")


def test_smpp_data_coding_is_0_for_gsm7_and_8_for_ucs2() -> None:
    assert DATA_CODING == {Encoding.GSM7: 0, Encoding.UCS2: 8}


def test_encoding_values_are_plain_strings() -> None:
    assert Encoding.GSM7 == "GSM7"
    assert Encoding.UCS2 == "UCS2"


def test_text_info_is_immutable() -> None:
    info = analyse("hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.units = 3  # type: ignore[misc]


# --- Properties ---------------------------------------------------------------------


@given(any_text)
def test_detection_is_gsm7_exactly_when_every_character_is_in_the_alphabet(text: str) -> None:
    expected = Encoding.GSM7 if set(text) <= GSM_ALL else Encoding.UCS2
    assert detect_encoding(text) == expected


@given(any_text)
def test_units_match_an_independent_count(text: str) -> None:
    info = analyse(text)
    assert info.units == reference_units(text, info.encoding)


@given(any_text)
def test_parts_join_back_to_the_text(text: str) -> None:
    assert "".join(split_parts(text)) == text


@given(any_text)
def test_number_of_parts_equals_segments(text: str) -> None:
    assert len(split_parts(text)) == analyse(text).segments


@given(any_text)
def test_single_part_exactly_when_units_fit_a_single_message(text: str) -> None:
    info = analyse(text)
    assert (info.segments == 1) == (info.units <= SINGLE_LIMIT[info.encoding])


@given(any_text)
def test_every_part_fits_its_limit(text: str) -> None:
    info = analyse(text)
    parts = split_parts(text)
    limit = SINGLE_LIMIT[info.encoding] if len(parts) == 1 else PART_LIMIT[info.encoding]
    for part in parts:
        assert reference_units(part, info.encoding) <= limit


@given(any_text)
def test_multipart_parts_are_packed_full_so_no_part_is_wasted(text: str) -> None:
    info = analyse(text)
    parts = split_parts(text)
    assert all(parts) or parts == [""]
    for part, following in pairwise(parts):
        # The next character did not fit, otherwise greedy filling would have taken it.
        grown = part + following[0]
        assert reference_units(grown, info.encoding) > PART_LIMIT[info.encoding]


@given(gsm_text)
def test_encoded_parts_concatenate_to_the_encoded_text(text: str) -> None:
    # Holds only if no escape pair is split between parts.
    parts = split_parts(text)
    assert b"".join(encode_gsm7_unpacked(part) for part in parts) == encode_gsm7_unpacked(text)


@given(ucs2_text)
def test_ucs2_parts_concatenate_to_the_encoded_text(text: str) -> None:
    # Holds only if no surrogate pair is split between parts.
    parts = split_parts(text)
    assert b"".join(encode_ucs2(part) for part in parts) == encode_ucs2(text)


@given(gsm_text)
def test_gsm7_round_trips_through_unpacked_bytes(text: str) -> None:
    data = encode_gsm7_unpacked(text)
    assert all(byte <= 0x7F for byte in data)
    assert len(data) == analyse(text).units
    assert decode_gsm7_unpacked(data) == text


@given(ucs2_text)
def test_ucs2_byte_length_is_twice_the_unit_count(text: str) -> None:
    info = analyse(text)
    if info.encoding is Encoding.UCS2:
        assert len(encode_ucs2(text)) == 2 * info.units
