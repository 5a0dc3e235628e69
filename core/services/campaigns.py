"""Create, find and summarise campaigns."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import validation
from core.models import (
    Artist,
    Campaign,
    CampaignStatus,
    Consent,
    Delivery,
    Event,
    PreSave,
    ReleaseMarket,
    ScheduledMessage,
)
from core.services import broadcast, campaign_fields, discord_bindings
from core.services.campaign_fields import open_keyword_taken as open_keyword_taken


@dataclass(frozen=True)
class CampaignDraft:
    """What an artist asked for, unchecked."""

    artist: str | None
    title: str | None
    keyword: str | None
    release_at: str | None
    timezone: str | None = None
    spotify_album_id: str | None = None
    upc: str | None = None
    isrc: str | None = None
    spotify_artist_id: str | None = None
    follow: bool = True
    force: bool = False  # a release time in the past is taken


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "campaign"


def _unique_slug(session: Session, base: str) -> str:
    taken = set(session.scalars(select(Campaign.slug).where(Campaign.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_campaign(
    session: Session, draft: CampaignDraft, now: datetime | None = None
) -> Campaign:
    """Check every field of `draft`, then add the campaign (and its artist if new).

    Given `now`, a release time before it is refused unless the draft says `force`; the
    checks are campaign_fields.check's, shared with edits.
    """
    given = campaign_fields.Unchecked(
        draft.artist, draft.title, draft.keyword, draft.release_at, draft.timezone,
        draft.spotify_album_id, draft.upc, draft.isrc, draft.spotify_artist_id, draft.force,
    )  # fmt: skip
    fields = campaign_fields.check(session, given, now)
    artist_name, artist_id = fields.artist, fields.spotify_artist_id
    artist = session.scalar(select(Artist).where(Artist.name == artist_name))
    if artist is None:
        artist = Artist(name=artist_name, spotify_artist_id=artist_id)
        session.add(artist)
    elif artist_id and not artist.spotify_artist_id:
        artist.spotify_artist_id = artist_id
    campaign = Campaign(
        artist=artist,
        slug=_unique_slug(session, slugify(f"{artist_name} {fields.title}")),
        title=fields.title,
        keyword=fields.keyword,
        status=CampaignStatus.OPEN,
        release_at=fields.release_at,
        timezone=fields.timezone,
        spotify_album_id=fields.spotify_album_id,
        upc=fields.upc,
        isrc=fields.isrc,
        spotify_artist_id=artist_id or artist.spotify_artist_id,
        action_save=True,
        action_follow=draft.follow,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_by_slug(session: Session, slug: str) -> Campaign | None:
    """The campaign with this slug, if any."""
    return session.scalar(select(Campaign).where(Campaign.slug == slug))


def named(session: Session, slug: str) -> Campaign:
    """The campaign a SLUG argument names, or the error that says there is none."""
    campaign = get_by_slug(session, slug)
    if campaign is None:
        raise validation.ValidationError("slug", f"no campaign {slug!r}; see presave campaign list")
    return campaign


def by_id(session: Session, campaign_id: int) -> Campaign:
    """The campaign a page names by id, or the error that says there is none."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise validation.ValidationError("campaign", f"no campaign {campaign_id}")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, soonest release first."""
    return list(session.scalars(select(Campaign).order_by(Campaign.release_at, Campaign.id)))


def _grouped(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key): int(n) for key, n in rows if key is not None}


def campaign_counts(session: Session, campaign_id: int) -> dict[str, Any]:
    """The `counts` object of a campaign: fans, consents, pre-saves, deliveries, events (each
    counted), sources (the fans that came from each) and quota_fans (fans Spotify's
    development mode kept from connecting)."""
    fan_ids = (
        select(Consent.fan_id)
        .where(Consent.campaign_id == campaign_id)
        .union(select(PreSave.fan_id).where(PreSave.campaign_id == campaign_id))
        .subquery()
    )
    delivery_rows = session.execute(
        select(Delivery.status, func.count())
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .where(ScheduledMessage.campaign_id == campaign_id)
        .group_by(Delivery.status)
    )
    return {
        "fans": int(session.scalar(select(func.count()).select_from(fan_ids)) or 0),
        "consents": _grouped(session, Consent.channel, Consent.campaign_id == campaign_id),
        "presaves": _grouped(session, PreSave.status, PreSave.campaign_id == campaign_id),
        "deliveries": {str(status): int(n) for status, n in delivery_rows},
        "events": _grouped(session, Event.kind, Event.campaign_id == campaign_id),
        "sources": fans_by_source(session, campaign_id),
        "quota_fans": _fans_with(session, campaign_id, "spotify_quota"),
    }


def _fans_with(session: Session, campaign_id: int, kind: str) -> int:
    """How many fans have an event of this kind (a fan with two counts once)."""
    query = select(func.count(func.distinct(Event.fan_id))).where(
        Event.campaign_id == campaign_id, Event.kind == kind
    )
    return int(session.scalar(query) or 0)


def fans_by_source(session: Session, campaign_id: int) -> dict[str, int]:
    """How many fans came from each traffic source (a fan who came twice counts once)."""
    rows = session.execute(
        select(Event.source, func.count(func.distinct(Event.fan_id)))
        .where(Event.campaign_id == campaign_id, Event.source.is_not(None))
        .group_by(Event.source)
    )
    return {str(source): int(n) for source, n in rows if n}


def campaign_public_link(public_url: str, campaign: Campaign) -> str:
    """The campaign's public page, shared on social media."""
    return f"{public_url}/c/{campaign.slug}"


def campaign_json(session: Session, campaign: Campaign, public_url: str) -> dict[str, Any]:
    """The machine-readable view of one campaign (names are an interface: add, never rename)."""
    release_at: datetime = campaign.release_at
    return {
        "id": campaign.id,
        "slug": campaign.slug,
        "keyword": campaign.keyword,
        "title": campaign.title,
        "artist": campaign.artist.name,
        "status": campaign.status,
        "release_at": release_at.isoformat(),
        "timezone": campaign.timezone,
        "release": {
            "spotify_album_id": campaign.spotify_album_id,
            "upc": campaign.upc,
            "isrc": campaign.isrc,
            "spotify_artist_id": campaign.spotify_artist_id,
        },
        "actions": {"save": campaign.action_save, "follow_artist": campaign.action_follow},
        "link": campaign_public_link(public_url, campaign),
        "counts": campaign_counts(session, campaign.id),
        "drop": campaign_drop(session, campaign),
        "discord": discord_bindings.campaign_view(session, campaign.id),
        "messages": broadcast.listing(session, campaign.id),
    }


def campaign_drop(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Where and when the release was found live: first detection and every market."""
    rows = session.execute(
        select(ReleaseMarket.market, ReleaseMarket.found_at)
        .where(ReleaseMarket.campaign_id == campaign.id)
        .order_by(ReleaseMarket.found_at, ReleaseMarket.market)
    )
    found = {market: found_at for market, found_at in rows}
    detected_at = campaign.detected_at
    next_check_at = campaign.next_check_at
    return {
        "detected_at": detected_at.isoformat() if detected_at else None,
        "detected_market": campaign.detected_market,
        "album_id": campaign.release_album_id,
        "markets": {market: found_at.isoformat() for market, found_at in found.items()},
        "next_check_at": next_check_at.isoformat() if next_check_at else None,
        **drop_progress(session, campaign.id, found),
    }


def drop_progress(session: Session, campaign_id: int, found: dict[str, Any]) -> dict[str, Any]:
    """Saves per minute (peak and average) and the slowest market, for the artist."""
    minutes = session.execute(
        select(PreSave.saved_at).where(
            PreSave.campaign_id == campaign_id, PreSave.saved_at.is_not(None)
        )
    ).scalars()
    per_minute: dict[str, int] = {}
    for saved_at in minutes:
        if saved_at is None:
            continue
        key = saved_at.strftime("%Y-%m-%dT%H:%M")
        per_minute[key] = per_minute.get(key, 0) + 1
    slowest: dict[str, Any] | None = None
    last_by_market = session.execute(
        select(PreSave.market, func.max(PreSave.saved_at), func.count())
        .where(PreSave.campaign_id == campaign_id, PreSave.saved_at.is_not(None))
        .group_by(PreSave.market)
    )
    for market, last_saved, saved in last_by_market:
        live_at = found.get(market or "") or (min(found.values()) if found else None)
        if live_at is None or last_saved is None:
            continue
        seconds = max(0.0, (last_saved - live_at).total_seconds())
        if slowest is None or seconds > slowest["last_save_after_live_s"]:
            slowest = {"market": market, "last_save_after_live_s": round(seconds, 1)}
            slowest["saved"] = saved
    return {
        "saves_per_minute": {
            "peak": max(per_minute.values(), default=0),
            "average": round(sum(per_minute.values()) / len(per_minute), 1) if per_minute else 0,
            "by_minute": dict(sorted(per_minute.items())[-60:]),
        },
        "slowest_market": slowest,
    }
