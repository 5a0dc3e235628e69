"""Count SMS segments the way carriers split concatenated messages."""

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet; each character costs one septet.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"  # 0x1B is the escape itself, not a character
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table; each character costs an escape plus itself.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentInfo:
    """Encoding, total size in septets or UTF-16 units, and segment count."""

    encoding: Encoding
    units: int
    segments: int


def _pack(costs: list[int], single: int, multi: int) -> int:
    """Count segments so that no multi-unit character straddles a boundary."""
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _gsm7_costs(text: str) -> list[int] | None:
    """Return each character's septet cost, or None if text is not GSM-7."""
    costs = []
    for char in text:
        if char in GSM7_BASIC:
            costs.append(1)
        elif char in GSM7_EXTENSION:
            costs.append(2)
        else:
            return None
    return costs


def count_segments(text: str) -> SegmentInfo:
    """Count SMS segments for text; empty text is 1 GSM-7 segment of 0 units."""
    # Empty text is reported as one segment because a sent SMS is never zero.
    gsm_costs = _gsm7_costs(text)
    if gsm_costs is not None:
        segments = _pack(gsm_costs, GSM7_SINGLE, GSM7_MULTI)
        return SegmentInfo("GSM-7", sum(gsm_costs), segments)
    ucs_costs = [2 if ord(char) > 0xFFFF else 1 for char in text]
    segments = _pack(ucs_costs, UCS2_SINGLE, UCS2_MULTI)
    return SegmentInfo("UCS-2", sum(ucs_costs), segments)
