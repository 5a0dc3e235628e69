"""Core's refusals in the API's words: the command line's field names (`--artist`,
`release-at`) become the JSON fields they are about, and its flags the JSON members."""

from __future__ import annotations

from core.validation import ValidationError
from web.api.problems import Problem, from_validation

FIELD_OF = {
    "--artist": "artist",
    "--title": "title",
    "release-at": "release_at",
    "release": "spotify_album_id",
    "spotify-album-id": "spotify_album_id",
    "spotify-artist-id": "spotify_artist_id",
    "--channels": "channels",
    "slug": "campaign",
    "--kind": "kind",
    "--numbers": "numbers",
    "--daily-cap": "daily_cap",
}
WORDS = (
    ("give --force to create it anyway", 'send "force": true to take it anyway'),
    ("--spotify-album-id", "spotify_album_id"),
    ("--upc", "upc"),
    ("--isrc", "isrc"),
    ("--before", "before"),
    ("--at", "at"),
    ("--channels", "channels"),
    ("--text", "text"),
    ("presave schedule list", "GET .../messages"),
)


def in_api_words(message: str) -> str:
    """A core message with the command line's flags named as JSON members."""
    for cli, ours in WORDS:
        message = message.replace(cli, ours)
    return message


def refused(exc: ValidationError) -> Problem:
    """A 422 naming each refused field as the request named it."""
    found = from_validation(exc)
    errors = found.errors or {}
    found.errors = {FIELD_OF.get(k, k): in_api_words(v) for k, v in errors.items()}
    first = next(iter(found.errors.items()))
    found.detail = f"{first[0]}: {first[1]}"
    return found


def problems_of(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Field -> message for a preview's refusals (the first one of each field)."""
    found: dict[str, str] = {}
    for field, message in pairs:
        found.setdefault(FIELD_OF.get(field, field), in_api_words(message))
    return found
