"""Checks for every value an artist or operator types; errors name the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.timeutil import as_utc

# Words carriers, Twilio and our SMS conversation treat as commands: never a keyword.
RESERVED_KEYWORDS = frozenset(
    {
        # opt-out words (CTIA, Twilio defaults, FCC 2024 REVOKE/OPTOUT) and a common short form
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "UNSUB",
        # opt-back-in and help words
        "START", "UNSTOP", "YES", "HELP", "INFO",
        # ambiguous as keywords: OPT of "OPT OUT", consent-sounding words, the natural refusal
        "OPT", "OPTIN", "SUBSCRIBE", "NO",
    }
)  # fmt: skip
KEYWORD_RE = re.compile(r"[A-Za-z0-9]{2,20}")
UPC_RE = re.compile(r"\d{12,14}")
ISRC_RE = re.compile(r"([A-Z]{2})-?([A-Z0-9]{3})-?(\d{2})-?(\d{5})")
SPOTIFY_ID_RE = re.compile(r"[0-9A-Za-z]{22}")
# Characters that reorder the text around them (bidi embeddings, overrides and isolates).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters, surrogates (undecodable bytes) and line or paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Letters that render as blank space (Hangul and Mongolian fillers, the blank Braille cell).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


class ValidationError(ValueError):
    """A value was refused; `field` names it and `accepted` says what would pass."""

    def __init__(self, field: str, accepted: str) -> None:
        super().__init__(f"{field}: {accepted}")
        self.field = field
        self.accepted = accepted


def text(field: str, value: str | None, *, max_len: int) -> str:
    """A required single-line text of 1..max_len characters, something of it visible, with
    no control character and nothing that reorders what follows (bidi overrides)."""
    cleaned = (value or "").strip()
    accepted = f"required, one line of 1-{max_len} characters"
    if not cleaned or len(cleaned) > max_len:
        raise ValidationError(field, accepted)
    for char in cleaned:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            raise ValidationError(field, f"{accepted}, without control characters ({_code(char)})")
        if char in BIDI_CONTROLS:
            raise ValidationError(
                field, f"{accepted}, without bidirectional overrides or isolates ({_code(char)})"
            )
    if all(_invisible(char) for char in cleaned):
        raise ValidationError(field, f"{accepted}, not only invisible characters")
    return cleaned


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def _invisible(char: str) -> bool:
    """Whether a character shows nothing by itself: format characters (zero-width space,
    joiners, marks), spaces, combining marks and the blank letters."""
    return char in BLANK_LETTERS or unicodedata.category(char) in ("Cf", "Zs", "Mn", "Me")


def keyword(value: str | None) -> str:
    """One word of 2-20 letters/digits that is not a reserved SMS word; upper-cased."""
    word = (value or "").strip()
    if not KEYWORD_RE.fullmatch(word):
        raise ValidationError("keyword", "one word of 2-20 letters or digits (A-Z, 0-9)")
    word = word.upper()
    if word in RESERVED_KEYWORDS:
        raise ValidationError(
            "keyword", f"{word} is a reserved SMS word (STOP, HELP, START, ...); pick another"
        )
    return word


def release_time(value: str | None) -> datetime:
    """An ISO 8601 date and time with an explicit UTC offset, returned in UTC."""
    raw = (value or "").strip()
    accepted = "ISO 8601 date and time with an explicit offset, e.g. 2026-12-04T00:00:00-05:00"
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValidationError("release-at", accepted) from None
    try:
        return as_utc(parsed)
    except ValueError:
        raise ValidationError("release-at", accepted) from None


def timezone(value: str | None) -> str:
    """An IANA time zone name such as America/New_York."""
    name = (value or "").strip()
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "timezone", f"an IANA time zone such as America/New_York, not {name!r}"
        ) from None
    return name


def upc(value: str) -> str:
    """A UPC/EAN barcode (GTIN) of 12 to 14 digits: UPC-A, EAN-13, or the 14-digit form
    with leading zeros that distributors and Spotify's `external_ids` sometimes carry."""
    code = value.strip()
    if not UPC_RE.fullmatch(code):
        raise ValidationError("upc", "12 to 14 digits")
    return code


def isrc(value: str) -> str:
    """An ISRC in CC-XXX-YY-NNNNN form (hyphens optional); stored compact, upper-case."""
    match = ISRC_RE.fullmatch(value.strip().upper())
    if not match:
        raise ValidationError("isrc", "CC-XXX-YY-NNNNN (country, registrant, year, 5 digits)")
    return "".join(match.groups())


def spotify_id(field: str, value: str) -> str:
    """A Spotify id: 22 base-62 characters (a spotify: URI or open.spotify.com link works)."""
    raw = value.strip()
    for prefix in ("spotify:album:", "spotify:artist:"):
        raw = raw.removeprefix(prefix)
    link = re.fullmatch(r"https://open\.spotify\.com/(?:album|artist)/([^/?#]+)(?:\?.*)?", raw)
    if link:
        raw = link.group(1)
    if not SPOTIFY_ID_RE.fullmatch(raw):
        raise ValidationError(field, "a Spotify id of 22 base-62 characters")
    return raw
