"""What the public campaign page and a fan's personal link page show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from core.models import (
    Campaign,
    CampaignStatus,
    FanLink,
    GrantStatus,
    PreSave,
    PreSaveStatus,
    SpotifyGrant,
)
from core.providers.spotify import scopes_for
from core.services import campaigns, grants, links
from core.services.artwork import shown as shown_artwork
from core.services.library import QUOTA_STOP_PREFIX
from core.services.traffic import Device, record_link_click, record_page_view
from core.timeutil import utcnow

SLUG_RE = re.compile(r"[a-z0-9-]{1,80}")
# How the save job words a save that kept failing on Spotify's side (core.services.library).
UNAVAILABLE_PREFIX = "Spotify unavailable"


class FanState(StrEnum):
    """Where a fan's pre-save stands, in the words of their personal page."""

    NOT_CONNECTED = "not_connected"  # never connected, or disconnected
    WAITING = "waiting"  # connected; the release is not out yet
    SAVING = "saving"  # out, and the save is queued or running
    SAVED = "saved"
    OTHER_MARKET = "other_market"  # out, but not yet in the fan's country
    RECONNECT = "reconnect"  # Spotify no longer accepts the fan's authorization
    QUOTA = "quota"  # the artist's Spotify app is in development mode and full
    REFUSED = "refused"  # Spotify refused the save
    FAILED = "failed"  # Spotify kept failing; we stopped trying


@dataclass(frozen=True)
class CampaignCard:
    """A campaign as a visitor sees it."""

    id: int
    slug: str
    title: str
    artist: str
    artwork_url: str | None
    release_at: datetime
    is_open: bool
    released: bool
    live: bool  # found live on Spotify (the drop happened)
    listen_url: str | None  # the release on Spotify, once live
    save: bool
    follow: bool
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class LinkPage:
    """A fan's personal link: the campaign and where their pre-save stands."""

    code: str
    fan_id: int
    source: str
    campaign: CampaignCard
    connected: bool
    presave_status: str | None
    state: FanState
    followed: bool  # we followed the artist for the fan
    reconnect_asked: bool = False  # the grant dies before the release: asked to connect again
    quota_stopped: bool = False  # not saved: Spotify's quota 429 stopped the app's saves


def campaign_card(campaign: Campaign, *, now: datetime | None = None) -> CampaignCard:
    """The visitor's view of a campaign."""
    live = campaign.detected_at is not None
    album = campaign.release_album_id or campaign.spotify_album_id
    return CampaignCard(
        id=campaign.id,
        slug=campaign.slug,
        title=campaign.title,
        artist=campaign.artist.name,
        artwork_url=shown_artwork(campaign.artwork_url),
        release_at=campaign.release_at,
        is_open=campaign.status == CampaignStatus.OPEN,
        released=live or campaign.release_at <= (now or utcnow()),
        live=live,
        listen_url=links.album_link(album) if live and album else None,
        save=campaign.action_save,
        follow=campaign.action_follow,
        scopes=scopes_for(save=campaign.action_save, follow=campaign.action_follow),
    )


def link_page(session: Session, link: FanLink, *, now: datetime | None = None) -> LinkPage:
    """The personal page behind a link."""
    campaign = session.get(Campaign, link.campaign_id)
    assert campaign is not None
    presave = grants.presave_of(session, campaign.id, link.fan_id)
    grant = grants.grant_of(session, link.fan_id)
    card = campaign_card(campaign, now=now)
    return LinkPage(
        code=link.code,
        fan_id=link.fan_id,
        source=link.source,
        campaign=card,
        connected=grants.is_connected(session, campaign, link.fan_id),
        presave_status=presave.status if presave is not None else None,
        state=fan_state(card, presave, grant),
        followed=presave is not None and presave.followed_at is not None,
        reconnect_asked=grant is not None and grant.reconnect_requested_at is not None,
        quota_stopped=presave is not None
        and presave.status == PreSaveStatus.QUOTA
        and (presave.last_error or "").startswith(QUOTA_STOP_PREFIX),
    )


def fan_state(card: CampaignCard, presave: PreSave | None, grant: SpotifyGrant | None) -> FanState:
    """The fan's state from their pre-save of the campaign and their Spotify grant."""
    status = presave.status if presave is not None else None
    if status == PreSaveStatus.SAVED:
        return FanState.SAVED
    if status == PreSaveStatus.QUOTA:
        return FanState.QUOTA
    if status == PreSaveStatus.NEEDS_RECONNECT or (
        grant is not None and grant.status == GrantStatus.NEEDS_RECONNECT
    ):
        return FanState.RECONNECT
    usable = grant is not None and grant.status == GrantStatus.ACTIVE and grant.refresh_token_enc
    if presave is None or status == PreSaveStatus.CANCELLED or not usable:
        return FanState.NOT_CONNECTED
    if status == PreSaveStatus.FAILED:
        kept_failing = (presave.last_error or "").startswith(UNAVAILABLE_PREFIX)
        return FanState.FAILED if kept_failing else FanState.REFUSED
    if not card.live:
        return FanState.WAITING
    if status in (PreSaveStatus.QUEUED_FOR_MARKET, PreSaveStatus.PENDING_SOURCE):
        return FanState.OTHER_MARKET
    return FanState.SAVING


def open_link(
    session: Session, code: str, device: Device, *, record: bool = True
) -> LinkPage | None:
    """A fan opened their link: record the click; None (nothing recorded) if unknown."""
    link = links.find(session, code)
    if link is None:
        return None
    if record:
        record_link_click(session, link, device)
    return link_page(session, link)


def open_campaign(
    session: Session,
    slug: str,
    *,
    source: str,
    device: Device,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
    record: bool = True,
) -> CampaignCard | None:
    """Someone opened the public page: record the view; None (nothing recorded) if unknown."""
    if not SLUG_RE.fullmatch(slug):
        return None
    campaign = campaigns.get_by_slug(session, slug)
    if campaign is None:
        return None
    if record:
        record_page_view(session, campaign, source, device, utm_medium, utm_campaign)
    return campaign_card(campaign)


def disconnect(session: Session, code: str) -> LinkPage | None:
    """The fan asked to disconnect Spotify from their link page; None if the link is unknown."""
    link = links.find(session, code)
    if link is None:
        return None
    grants.disconnect(session, link)
    return link_page(session, link)


def quota_blocked(page: LinkPage) -> bool:
    """Whether this fan's last try hit the Spotify app's development-mode cap."""
    return page.presave_status == PreSaveStatus.QUOTA
