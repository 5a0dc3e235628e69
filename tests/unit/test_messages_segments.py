"""Tests for messages.segments."""

from messages import SegmentInfo, count_segments


def test_empty_text_is_one_segment() -> None:
    """Empty text is billed as one GSM-7 segment with no units."""
    assert count_segments("") == SegmentInfo("GSM-7", 0, 1)


def test_gsm_single_segment_limit() -> None:
    """160 GSM-7 septets fit in one segment, 161 need two."""
    assert count_segments("a" * 160) == SegmentInfo("GSM-7", 160, 1)
    assert count_segments("a" * 161) == SegmentInfo("GSM-7", 161, 2)


def test_gsm_multipart_boundary() -> None:
    """Multipart GSM-7 holds 153 septets: 306 = 2 * 153 fits, 307 does not."""
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_gsm_basic_accented_and_greek_chars() -> None:
    """Characters from the GSM-7 basic table keep GSM-7 at one septet each."""
    info = count_segments("éèÇØΔΩ£¥§¿¡àÑü@\n")
    assert info == SegmentInfo("GSM-7", 16, 1)


def test_extension_chars_count_double() -> None:
    """Extension chars cost 2 septets: 80 '{' = 160 (1 seg), 81 = 162 (2)."""
    assert count_segments("{" * 80) == SegmentInfo("GSM-7", 160, 1)
    assert count_segments("{" * 81) == SegmentInfo("GSM-7", 162, 2)


def test_every_extension_char_costs_two() -> None:
    """Each of ^{}\\[~]|€ and form feed is 2 septets: 10 chars = 20 units."""
    assert count_segments("^{}\\[~]|€\f") == SegmentInfo("GSM-7", 20, 1)


def test_escape_pair_not_split_across_segments() -> None:
    """152 'a' + '{' + 152 'a' = 306 septets: naive 2 segments, real 3."""
    # Segment 1: 152 'a' (the 2-septet '{' would end at 154 > 153, so it moves).
    # Segment 2: '{' (2) + 151 'a' = 153. Segment 3: the last 'a'.
    info = count_segments("a" * 152 + "{" + "a" * 152)
    assert info == SegmentInfo("GSM-7", 306, 3)


def test_non_gsm_char_forces_ucs2() -> None:
    """Lowercase 'ç' is not GSM-7 (only 'Ç' is), so the text is UCS-2."""
    assert count_segments("a" * 100 + "ç") == SegmentInfo("UCS-2", 101, 2)


def test_ucs2_single_segment_limit() -> None:
    """70 UCS-2 units fit in one segment, 71 need two."""
    assert count_segments("ж" * 70) == SegmentInfo("UCS-2", 70, 1)
    assert count_segments("ж" * 71) == SegmentInfo("UCS-2", 71, 2)


def test_ucs2_multipart_boundary() -> None:
    """Multipart UCS-2 holds 67 units: 134 = 2 * 67 fits, 135 does not."""
    assert count_segments("ж" * 134).segments == 2
    assert count_segments("ж" * 135).segments == 3


def test_emoji_counts_two_units() -> None:
    """An astral-plane emoji is a surrogate pair: 2 UTF-16 units."""
    assert count_segments("\U0001f525") == SegmentInfo("UCS-2", 2, 1)


def test_single_emoji_forces_ucs2() -> None:
    """One emoji in 100 GSM chars makes 102 UCS-2 units: 2 segments, not 1."""
    # As GSM-7 the 100 'a' alone would be one segment of 100 septets.
    info = count_segments("a" * 100 + "\U0001f525")
    assert info == SegmentInfo("UCS-2", 102, 2)


def test_surrogate_pair_not_split_across_segments() -> None:
    """66 'ж' + emoji + 66 'ж' = 134 units: naive 2 segments, real 3."""
    # Segment 1: 66 'ж' (the 2-unit emoji would end at 68 > 67, so it moves).
    # Segment 2: emoji (2) + 65 'ж' = 67. Segment 3: the last 'ж'.
    info = count_segments("ж" * 66 + "\U0001f525" + "ж" * 66)
    assert info == SegmentInfo("UCS-2", 134, 3)
