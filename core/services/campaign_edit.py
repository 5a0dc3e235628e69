"""An artist changes or closes a campaign (the artist pages and `presave campaign edit|close`).

Edits pass the same checks as `presave campaign create` (campaign_fields.check). Once a fan
has joined, what they were promised stays: the release they pre-saved (Spotify album, UPC,
ISRC, the artist followed) and the keyword they texted. Closing cancels what has not gone
out through the same path as `presave schedule cancel`, and frees the keyword.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core import validation
from core.models import Campaign, CampaignStatus, Consent, MessageStatus, PreSave, ScheduledMessage
from core.services import broadcast, campaign_fields, campaigns
from core.services.campaign_fields import Availability, FieldErrors
from core.services.drop import DROP_KIND

__all__ = ["Availability", "CampaignChanges", "CloseResult", "FieldErrors", "close", "edit"]
keyword_available = campaign_fields.keyword_available

# What fans were promised when they joined: never changed after the first one.
PROMISED = {
    "keyword": "keyword",
    "spotify_album_id": "spotify-album-id",
    "upc": "upc",
    "isrc": "isrc",
    "spotify_artist_id": "spotify-artist-id",
}
WHY_PROMISED = "fans have joined this campaign for it, so it stays as they were told"
# Each promised field as stored, from what was typed (the checks create makes).
AS_STORED: dict[str, Callable[[str], str]] = {
    "keyword": validation.keyword,
    "spotify_album_id": lambda raw: validation.spotify_id("spotify-album-id", raw),
    "upc": validation.upc,
    "isrc": validation.isrc,
    "spotify_artist_id": lambda raw: validation.spotify_id("spotify-artist-id", raw),
}


@dataclass(frozen=True)
class CampaignChanges:
    """What the artist changes (None: unchanged). Giving one of spotify_album_id, upc or
    isrc names the release by that one alone."""

    title: str | None = None
    keyword: str | None = None
    release_at: str | None = None
    timezone: str | None = None
    spotify_album_id: str | None = None
    upc: str | None = None
    isrc: str | None = None
    spotify_artist_id: str | None = None
    follow: bool | None = None
    force: bool = False  # a release time in the past is taken


@dataclass(frozen=True)
class CloseResult:
    """A campaign closed: whether it was open until now, and what was cancelled."""

    campaign: Campaign
    closed_now: bool  # False: it was closed already and nothing changed
    messages_cancelled: int
    deliveries_cancelled: int


def has_fans(session: Session, campaign_id: int) -> bool:
    """Whether any fan has joined (opted in on a channel or pre-saved)."""
    joined = exists().where(Consent.campaign_id == campaign_id) | exists().where(
        PreSave.campaign_id == campaign_id
    )
    return bool(session.scalar(select(joined)))


def _merged(campaign: Campaign, changes: CampaignChanges) -> campaign_fields.Unchecked:
    """The campaign as it would be, as typed, for the checks create makes."""
    release = (changes.spotify_album_id, changes.upc, changes.isrc)
    if all(value is None for value in release):
        release = (campaign.spotify_album_id, campaign.upc, campaign.isrc)

    def pick(new: str | None, old: str | None) -> str | None:
        return new if new is not None else old

    return campaign_fields.Unchecked(
        artist=campaign.artist.name,
        title=pick(changes.title, campaign.title),
        keyword=pick(changes.keyword, campaign.keyword),
        release_at=pick(changes.release_at, campaign.release_at.isoformat()),
        timezone=pick(changes.timezone, campaign.timezone),
        spotify_album_id=release[0],
        upc=release[1],
        isrc=release[2],
        spotify_artist_id=pick(changes.spotify_artist_id, campaign.spotify_artist_id),
        # an unchanged release time that has passed is not this edit's to refuse
        force=changes.force or changes.release_at is None,
    )


def _as_stored(attr: str, typed: str | None) -> str | None:
    """A promised field as it would be stored; a malformed one as typed (a change too)."""
    if typed is None:
        return None
    try:
        return AS_STORED[attr](typed)
    except validation.ValidationError:
        return typed


def _promised_changes(campaign: Campaign, merged: campaign_fields.Unchecked) -> list[str]:
    """The promised fields the edit would change, whether or not the rest of it is valid."""
    return [
        attr for attr in PROMISED
        if _as_stored(attr, getattr(merged, attr)) != getattr(campaign, attr)
    ]  # fmt: skip


def _new_release_time(merged: campaign_fields.Unchecked) -> datetime | None:
    """The release time typed, if it reads as one."""
    try:
        return validation.release_time(merged.release_at)
    except validation.ValidationError:
        return None


def _rule_errors(
    session: Session, campaign: Campaign, merged: campaign_fields.Unchecked
) -> dict[str, str]:
    """What an edit may not change now, checked on the input as typed so that it is said
    together with every other field's error."""
    errors: dict[str, str] = {}
    if has_fans(session, campaign.id):
        for attr in _promised_changes(campaign, merged):
            errors[PROMISED[attr]] = f"not changed: {WHY_PROMISED}"
    release_at = _new_release_time(merged)
    moved = release_at is not None and release_at != campaign.release_at
    if moved and campaign.detected_at is not None:
        errors["release-at"] = "not changed: the release was found live already"
    elif moved and release_at and (late := _countdowns_after(session, campaign, release_at)):
        listed = ", ".join(str(i) for i in late)
        errors["release-at"] = (
            f"countdown messages {listed} would go out after it; cancel them first"
        )
    return errors


def _countdowns_after(session: Session, campaign: Campaign, release_at: datetime) -> list[int]:
    """Countdowns still to go out that would fall at or after a new release time."""
    return list(
        session.scalars(
            select(ScheduledMessage.id).where(
                ScheduledMessage.campaign_id == campaign.id,
                ScheduledMessage.kind == broadcast.COUNTDOWN,
                ScheduledMessage.status == MessageStatus.SCHEDULED,
                ScheduledMessage.send_at >= release_at,
            )
        )
    )


def edit(
    session: Session, campaign_id: int, changes: CampaignChanges, now: datetime | None = None
) -> Campaign:
    """Apply `changes` after every check passed; FieldErrors (field -> message) otherwise,
    with nothing written. Given `now`, a new release time before it needs `force`."""
    campaign = campaigns.by_id(session, campaign_id)
    if campaign.status != CampaignStatus.OPEN:
        raise FieldErrors({"campaign": f"campaign {campaign.slug!r} is closed: it is not edited"})
    merged = _merged(campaign, changes)
    errors = _rule_errors(session, campaign, merged)  # first: what no input can change now
    try:
        checked = campaign_fields.check(session, merged, now, campaign.id)
    except FieldErrors as exc:
        others = {key: said for key, said in exc.errors.items() if key not in errors}
        raise FieldErrors(errors | others) from None
    if errors:
        raise FieldErrors(errors)
    moved = checked.release_at != campaign.release_at
    for attr in ("title", "keyword", "release_at", "timezone", *PROMISED):
        setattr(campaign, attr, getattr(checked, attr))
    if changes.follow is not None:
        campaign.action_follow = changes.follow
    if moved:
        _follow_release(session, campaign)
    session.flush()
    return campaign


def _follow_release(session: Session, campaign: Campaign) -> None:
    """Messages waiting to go out keep to the new release time: countdowns expire at it, the
    drop alert is due at it, and the release watch plans its looks again."""
    for message in session.scalars(
        select(ScheduledMessage).where(
            ScheduledMessage.campaign_id == campaign.id,
            ScheduledMessage.status == MessageStatus.SCHEDULED,
        )
    ):
        if message.kind == DROP_KIND:
            message.send_at = campaign.release_at
        else:
            message.expires_at = campaign.release_at
    campaign.next_check_at = None


def close(session: Session, campaign_id: int) -> CloseResult:
    """Close the campaign: no more opt-ins, its keyword free for another, and nothing more
    sent (its waiting messages cancelled as `presave schedule cancel` does). Idempotent."""
    campaign = campaigns.by_id(session, campaign_id)
    if campaign.status == CampaignStatus.CLOSED:
        return CloseResult(campaign, False, 0, 0)
    campaign.status = CampaignStatus.CLOSED
    waiting = session.scalars(
        select(ScheduledMessage).where(
            ScheduledMessage.campaign_id == campaign.id,
            ScheduledMessage.status.in_((MessageStatus.SCHEDULED, MessageStatus.SENDING)),
        )
    ).all()
    deliveries = sum(broadcast.cancel(session, message) for message in waiting)
    session.flush()
    return CloseResult(campaign, True, len(waiting), deliveries)


def changeable(session: Session, campaign_id: int) -> dict[str, bool]:
    """Which fields an edit may change now (a form greys out the others)."""
    campaign = campaigns.by_id(session, campaign_id)
    joined = has_fans(session, campaign_id)
    names = [f.name for f in fields(CampaignChanges) if f.name != "force"]
    is_open = campaign.status == CampaignStatus.OPEN
    return {name: is_open and not (joined and name in PROMISED) for name in names}
