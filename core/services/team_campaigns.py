"""A team's people create, edit and close campaigns in the artist app; each change is
recorded in the team's audit log in the same unit of work.

The checks are `presave campaign create|edit|close`'s (campaign_fields, campaign_edit);
refusals come back as one FieldErrors naming every refused field, with nothing written
(the caller's transaction rolls back when it sees the exception).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Artist, Campaign, MessageStatus, ScheduledMessage
from core.services import (
    artwork,
    audit,
    campaign_edit,
    campaign_fields,
    campaign_overview,
    campaigns,
    tenancy,
)
from core.services.campaign_fields import FieldErrors
from core.validation import ValidationError

# What the audit detail names for each changed attribute.
SHOWN = {
    "title": "title",
    "keyword": "keyword",
    "release_at": "release time",
    "timezone": "time zone",
    "spotify_album_id": "Spotify album id",
    "upc": "UPC",
    "isrc": "ISRC",
    "spotify_artist_id": "Spotify artist id",
    "action_follow": "follow",
}


@dataclass(frozen=True)
class ArtworkGiven:
    """New cover art from a form: an uploaded file or an https URL (None: neither)."""

    stream: BinaryIO | None = None
    url: str | None = None


def local_release(value: str | None, zone: str | None) -> str | None:
    """A `datetime-local` value read in `zone` as ISO 8601 with its offset (what the
    command line takes); None when empty. An unknown zone reads it as UTC (the zone field
    is refused on its own); anything unreadable is passed on as typed, for the release
    time check to refuse."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is not None:
        return moment.isoformat()
    try:
        place = ZoneInfo((zone or "UTC").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        place = ZoneInfo("UTC")
    return moment.replace(tzinfo=place).isoformat()


def local_input(value: datetime, zone: str) -> str:
    """A UTC time as a `datetime-local` value in the campaign's zone (the edit form)."""
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = value
    return local.strftime("%Y-%m-%dT%H:%M")


def _artist_elsewhere(session: Session, name: str | None, team_id: int) -> bool:
    """Whether an artist of that name already belongs to another team."""
    owner = session.scalar(select(Artist.team_id).where(Artist.name == (name or "").strip()))
    return owner is not None and owner != team_id


def create(
    session: Session,
    team_id: int,
    user_id: int,
    draft: campaigns.CampaignDraft,
    now: datetime | None,
) -> Campaign:
    """A new campaign whose artist is (or becomes) the team's, logged as `created`."""
    errors: dict[str, str] = {}
    if _artist_elsewhere(session, draft.artist, team_id):
        errors["--artist"] = "that artist belongs to another team; ask them, or use another name"
    given = campaign_fields.Unchecked(
        draft.artist, draft.title, draft.keyword, draft.release_at, draft.timezone,
        draft.spotify_album_id, draft.upc, draft.isrc, draft.spotify_artist_id, draft.force,
    )  # fmt: skip
    try:
        campaign_fields.check(session, given, now)
    except FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise FieldErrors(errors)
    campaign = campaigns.create_campaign(session, draft, now)
    tenancy.assign_artist(session, campaign.artist_id, team_id)
    audit.record(session, team_id, user_id, "created", campaign.id, detail=campaign.title)
    return campaign


def _snapshot(campaign: Campaign) -> dict[str, object]:
    return {attr: getattr(campaign, attr) for attr in SHOWN}


def _set_artwork(
    session: Session, instance_path: Path, campaign_id: int, given: ArtworkGiven
) -> bool:
    """Store the new artwork if any; whether there was one."""
    if given.stream is not None:
        artwork.upload(session, instance_path, campaign_id, given.stream)
    elif given.url:
        artwork.set_url(session, campaign_id, given.url)
    else:
        return False
    return True


def edit(
    session: Session,
    who: tuple[int, int],
    campaign_id: int,
    changes: campaign_edit.CampaignChanges,
    art: tuple[Path, ArtworkGiven],
    now: datetime | None = None,
) -> list[str]:
    """Apply an edit and new artwork (`who` is (team_id, user_id)); what changed, in words,
    logged as `edited` when anything did. FieldErrors names every refused field."""
    team_id, user_id = who
    campaign = campaigns.by_id(session, campaign_id)
    before, errors = _snapshot(campaign), {}
    try:
        new_art = _set_artwork(session, art[0], campaign_id, art[1])
    except ValidationError as exc:
        new_art, errors = False, {exc.field: exc.accepted}
    try:
        campaign_edit.edit(session, campaign_id, changes, now)
    except FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise FieldErrors(errors)
    after = _snapshot(campaign)
    changed = [SHOWN[a] for a in SHOWN if before[a] != after[a]] + ["artwork"] * new_art
    if changed:
        audit.record(session, team_id, user_id, "edited", campaign_id, ", ".join(changed))
    return changed


def waiting_messages(session: Session, campaign_id: int) -> int:
    """Messages of the campaign that have not gone out (closing cancels them)."""
    return len(
        session.scalars(
            select(ScheduledMessage.id).where(
                ScheduledMessage.campaign_id == campaign_id,
                ScheduledMessage.status.in_((MessageStatus.SCHEDULED, MessageStatus.SENDING)),
            )
        ).all()
    )


def close(
    session: Session, team_id: int, user_id: int, campaign_id: int
) -> campaign_edit.CloseResult:
    """Close the campaign (keyword freed, waiting messages cancelled), logged as `closed`."""
    done = campaign_edit.close(session, campaign_id)
    if done.closed_now:
        detail = f"{done.messages_cancelled} waiting messages cancelled"
        audit.record(session, team_id, user_id, "closed", campaign_id, detail)
    return done


def countdown(release_at: datetime, now: datetime) -> str:
    """How far the release is, in words: `in 3 days 4 h`, `in 40 min`, `2 days ago`."""
    seconds = int((release_at - now).total_seconds())
    ahead, left = seconds >= 0, abs(seconds)
    days, hours, minutes = left // 86400, left % 86400 // 3600, left % 3600 // 60
    if days:
        words = f"{days} day{'s' * (days != 1)}" + (f" {hours} h" if hours else "")
    elif hours:
        words = f"{hours} h" + (f" {minutes} min" if minutes else "")
    elif minutes:
        words = f"{minutes} min"
    else:
        return "now"
    return f"in {words}" if ahead else f"{words} ago"


def summary(session: Session, campaign_id: int, now: datetime) -> campaign_overview.CampaignRow:
    """The campaign's row of the campaigns page: its state and counts."""
    campaign = campaigns.by_id(session, campaign_id)
    rows = campaign_overview.overview(session, [campaign.artist_id], now)
    return next(row for row in rows if row.id == campaign_id)
