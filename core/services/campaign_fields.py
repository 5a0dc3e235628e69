"""The checks every campaign field passes, for `presave campaign create` and edits alike.

Every field is checked and every refusal kept (field -> what is accepted), so a form can
show each next to its field; the command line prints the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import validation
from core.models import Campaign, CampaignStatus

T = TypeVar("T")


class FieldErrors(validation.ValidationError):
    """Every refused field of one request (field -> message), in the order checked; read
    as a ValidationError it is the first of them."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, accepted = next(iter(errors.items()))
        super().__init__(field, accepted)
        self.errors = dict(errors)


@dataclass(frozen=True)
class Availability:
    """Whether a keyword can be taken, and if not, why."""

    available: bool
    reason: str  # empty when available
    keyword: str | None = None  # the keyword as stored (upper-case), when well-formed


@dataclass(frozen=True)
class CampaignFields:
    """A campaign's checked fields, as stored."""

    artist: str
    title: str
    keyword: str
    release_at: datetime
    timezone: str
    spotify_album_id: str | None
    upc: str | None
    isrc: str | None
    spotify_artist_id: str | None


@dataclass(frozen=True)
class Unchecked:
    """The fields as typed (None: not given)."""

    artist: str | None
    title: str | None
    keyword: str | None
    release_at: str | None
    timezone: str | None
    spotify_album_id: str | None
    upc: str | None
    isrc: str | None
    spotify_artist_id: str | None
    force: bool = False


def open_keyword_taken(
    session: Session, keyword: str, except_campaign_id: int | None = None
) -> bool:
    """Whether an open campaign (other than `except_campaign_id`) uses `keyword`,
    case-insensitively."""
    query = select(Campaign.id).where(
        func.upper(Campaign.keyword) == keyword.upper(),
        Campaign.status == CampaignStatus.OPEN,
    )
    if except_campaign_id is not None:
        query = query.where(Campaign.id != except_campaign_id)
    return session.scalar(query.limit(1)) is not None


def keyword_available(
    session: Session, keyword: str | None, except_campaign_id: int | None = None
) -> Availability:
    """Whether `keyword` may be a campaign's: its form, not an SMS command word, not used
    by another open campaign."""
    try:
        word = validation.keyword(keyword)
    except validation.ValidationError as exc:
        return Availability(False, exc.accepted)
    if open_keyword_taken(session, word, except_campaign_id):
        taken = f"{word} is already used by an open campaign; pick another"
        return Availability(False, taken, word)
    return Availability(True, "", word)


def check(
    session: Session,
    given: Unchecked,
    now: datetime | None,
    except_campaign_id: int | None = None,
) -> CampaignFields:
    """Every field checked; FieldErrors naming each refused one (nothing is written here).

    Given `now`, a release time before it is refused unless `force`.
    """
    errors: dict[str, str] = {}

    def checked(run: Callable[[], T]) -> T | None:
        try:
            return run()
        except validation.ValidationError as exc:
            errors.setdefault(exc.field, exc.accepted)
            return None

    artist = checked(lambda: validation.text("--artist", given.artist, max_len=100))
    title = checked(lambda: validation.text("--title", given.title, max_len=200))
    keyword = checked(lambda: validation.keyword(given.keyword))
    release_at = checked(lambda: validation.release_time(given.release_at))
    zone = given.timezone if given.timezone is not None else "UTC"
    timezone = checked(lambda: validation.timezone(zone))
    ids = (
        ("--spotify-album-id", given.spotify_album_id),
        ("--upc", given.upc),
        ("--isrc", given.isrc),
    )
    named = [name for name, value in ids if value is not None]
    if len(named) > 1:
        errors["release"] = "give one of --spotify-album-id, --upc, --isrc, not " + " and ".join(
            named
        )
    album, upc, isrc, artist_id = given.spotify_album_id, given.upc, given.isrc, None
    if album is not None:
        album = checked(lambda: validation.spotify_id("spotify-album-id", album or ""))
    upc = checked(lambda: validation.upc(upc or "")) if upc is not None else None
    isrc = checked(lambda: validation.isrc(isrc or "")) if isrc is not None else None
    if given.spotify_artist_id is not None:
        raw = given.spotify_artist_id
        artist_id = checked(lambda: validation.spotify_id("spotify-artist-id", raw))
    if release_at is not None and now is not None and release_at < now and not given.force:
        passed = f"{release_at.isoformat()} has passed"
        errors["release-at"] = f"{passed}; give --force to create it anyway"
    if keyword is not None and "keyword" not in errors:
        free = keyword_available(session, keyword, except_campaign_id)
        if not free.available:
            errors["keyword"] = free.reason
    if errors:
        raise FieldErrors(errors)
    assert artist and title and keyword and release_at and timezone  # no error: all were set
    return CampaignFields(artist, title, keyword, release_at, timezone, album, upc, isrc, artist_id)
