"""What the public campaign page and a fan's personal link page show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.models import Campaign, CampaignStatus, FanLink, PreSaveStatus
from core.providers.spotify import scopes_for
from core.services import campaigns, grants, links
from core.services.traffic import Device, record_link_click, record_page_view
from core.timeutil import utcnow

SLUG_RE = re.compile(r"[a-z0-9-]{1,80}")


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


def campaign_card(campaign: Campaign, *, now: datetime | None = None) -> CampaignCard:
    """The visitor's view of a campaign."""
    artwork = campaign.artwork_url
    return CampaignCard(
        id=campaign.id,
        slug=campaign.slug,
        title=campaign.title,
        artist=campaign.artist.name,
        artwork_url=artwork if artwork and artwork.startswith("https://") else None,
        release_at=campaign.release_at,
        is_open=campaign.status == CampaignStatus.OPEN,
        released=campaign.release_at <= (now or utcnow()),
        save=campaign.action_save,
        follow=campaign.action_follow,
        scopes=scopes_for(save=campaign.action_save, follow=campaign.action_follow),
    )


def link_page(session: Session, link: FanLink, *, now: datetime | None = None) -> LinkPage:
    """The personal page behind a link."""
    campaign = session.get(Campaign, link.campaign_id)
    assert campaign is not None
    presave = grants.presave_of(session, campaign.id, link.fan_id)
    return LinkPage(
        code=link.code,
        fan_id=link.fan_id,
        source=link.source,
        campaign=campaign_card(campaign, now=now),
        connected=grants.is_connected(session, campaign, link.fan_id),
        presave_status=presave.status if presave is not None else None,
    )


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
