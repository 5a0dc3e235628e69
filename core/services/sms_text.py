"""The opt-in confirmation SMS: the same text whichever way a fan opted in."""

from __future__ import annotations

import functools
import unicodedata

from messages import count_segments, render
from messages.segments import GSM7_BASIC

MAX_CONFIRMATION_SEGMENTS = 2
# Stands in for the link while a campaign's confirmation is worded once and cached: one
# GSM-7 septet (one UCS-2 unit) a character, like every character of a link.
_LINK_STANDIN = "§"


def _shorten(text: str, keep: int) -> str:
    return text if len(text) <= keep else text[: max(1, keep - 3)].rstrip() + "..."


def gsm_fold(text: str) -> str:
    """`text` without accents and without what GSM-7 lacks ("Sigur Rós" -> "Sigur Ros")."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    kept = "".join(c for c in stripped if count_segments(c).encoding == "GSM-7")
    return " ".join(kept.split())


def _name_variants(artist: str, title: str) -> list[tuple[str, str]]:
    """The names as given, then folded to GSM-7 when that keeps them recognisable."""
    variants = [(artist, title)]
    folded = (gsm_fold(artist), gsm_fold(title))
    if folded != (artist, title) and all(
        len(f) >= max(1, len(o) // 2) for f, o in zip(folded, (artist, title), strict=True)
    ):
        variants.append(folded)
    return variants


def confirmation_text(
    program: str, release_artist: str, release_title: str, link: str, *, duplicate: bool
) -> str:
    """The opt-in reply, shortened (then folded to GSM-7, then minimal) to fit two segments.

    It is worded on every keyword webhook; links differ only in their code, so the
    wording is cached per campaign and link length with a stand-in link of
    the same length and the same cost per character, which gives the same segments.
    """
    if all(char in GSM7_BASIC for char in link):
        worded = _worded(program, release_artist, release_title, len(link), duplicate)
        if worded.count(_LINK_STANDIN) == len(link):  # the stand-in is nowhere else
            return worded.replace(_LINK_STANDIN * len(link), link)
    return _word(program, release_artist, release_title, link, duplicate=duplicate)


@functools.lru_cache(maxsize=256)
def _worded(program: str, artist: str, title: str, link_length: int, duplicate: bool) -> str:
    return _word(program, artist, title, _LINK_STANDIN * link_length, duplicate=duplicate)


def _word(
    program: str, release_artist: str, release_title: str, link: str, *, duplicate: bool
) -> str:
    names = (
        ["sms_optin_duplicate"] if duplicate else ["sms_optin_confirm", "sms_optin_confirm_short"]
    )
    for artist, title in _name_variants(release_artist, release_title):
        for limit in (200, 60, 40, 24, 12):
            for name in names:
                text = render(
                    name,
                    program=_shorten(program, 40),
                    artist=_shorten(artist, limit),
                    title=_shorten(title, limit),
                    link=link,
                )
                if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
                    return text
    minimal = "sms_optin_duplicate_minimal" if duplicate else "sms_optin_confirm_minimal"
    for keep in (40, 20, 10):
        text = render(minimal, program=_shorten(program, keep), link=link)
        if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
            break
    return text


def request_text(program: str, release_artist: str, release_title: str) -> str:
    """The double opt-in's one text to a number typed on the page ("Reply YES to get alerts
    for ..."), shortened (then folded to GSM-7, then minimal) to fit two segments."""
    for artist, title in _name_variants(release_artist, release_title):
        for limit in (200, 60, 40, 24, 12):
            text = render(
                "sms_optin_request",
                program=_shorten(program, 40),
                artist=_shorten(artist, limit),
                title=_shorten(title, limit),
            )
            if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
                return text
    for keep in (40, 20, 10):
        text = render("sms_optin_request_minimal", program=_shorten(program, keep))
        if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
            break
    return text
