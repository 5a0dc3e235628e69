"""The campaigns of a team as the JSON API gives them: each campaign's fields, its state
and counts (the campaigns page's), in one shape for the list and for one campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.services import campaign_overview, campaigns, tenancy
from core.services.campaign_overview import CampaignRow
from core.services.tenancy import Campaign


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign for an API client."""

    id: int
    slug: str
    title: str
    artist: str
    keyword: str
    status: str  # upcoming | live | released | closed
    release_at: datetime
    timezone: str
    spotify_album_id: str | None
    upc: str | None
    isrc: str | None
    spotify_artist_id: str | None
    follow: bool
    artwork_url: str | None
    link: str
    detected_at: datetime | None
    fans: int
    authorized: int
    saved: int


def _info(campaign: Campaign, row: CampaignRow, public_url: str) -> CampaignInfo:
    return CampaignInfo(
        id=campaign.id, slug=campaign.slug, title=campaign.title, artist=row.artist,
        keyword=campaign.keyword, status=row.status, release_at=campaign.release_at,
        timezone=campaign.timezone, spotify_album_id=campaign.spotify_album_id,
        upc=campaign.upc, isrc=campaign.isrc, spotify_artist_id=campaign.spotify_artist_id,
        follow=campaign.action_follow, artwork_url=campaign.artwork_url,
        link=campaigns.campaign_public_link(public_url, campaign),
        detected_at=campaign.detected_at, fans=row.fans, authorized=row.authorized,
        saved=row.saved,
    )  # fmt: skip


def listing(session: Session, team_id: int, now: datetime, public_url: str) -> list[CampaignInfo]:
    """The team's campaigns, the latest release first."""
    found = tenancy.team_campaigns(session, team_id)
    artist_ids = sorted({c.artist_id for c in found})
    rows = {row.id: row for row in campaign_overview.overview(session, artist_ids, now)}
    return [_info(c, rows[c.id], public_url) for c in found if c.id in rows]


def one(
    session: Session, team_id: int, campaign_id: int, now: datetime, public_url: str
) -> CampaignInfo:
    """The team's campaign; tenancy.NotInTeam when it is missing or another team's."""
    campaign = tenancy.team_campaign(session, team_id, campaign_id)
    rows = campaign_overview.overview(session, [campaign.artist_id], now)
    row = next(r for r in rows if r.id == campaign_id)
    return _info(campaign, row, public_url)
