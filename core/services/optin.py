"""Opting a fan in to a campaign: consent, personal link and events, one place for all channels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import Db
from core.models import Artist, Campaign, CampaignStatus, Consent, ConsentStatus
from core.services import consent, events, links
from core.services.consent import OptInResult
from core.services.fans import Place


@dataclass(frozen=True)
class OptInOutcome:
    """What an opt-in did, and the fan's personal link when one applies."""

    result: OptInResult
    link: str | None


@dataclass(frozen=True)
class OpenCampaign:
    """What a conversation needs to know of a campaign that accepts opt-ins."""

    id: int
    keyword: str
    title: str
    artist: str


_OPEN_CAMPAIGNS = (
    select(Campaign.id, Campaign.keyword, Campaign.title, Artist.name)
    .join(Artist, Artist.id == Campaign.artist_id)
    .where(Campaign.status == CampaignStatus.OPEN)
    .order_by(Campaign.release_at, Campaign.id)
)


def open_campaigns(session: Db) -> list[OpenCampaign]:
    """Campaigns that accept opt-ins, soonest release first (one light query)."""
    return [OpenCampaign(*row) for row in session.execute(_OPEN_CAMPAIGNS)]


def opt_in(
    session: Db,
    *,
    public_url: str,
    fan_id: int,
    campaign_id: int,
    channel: str,
    sender: str,
    source: str,
    place: Place,
    new_fan: bool = False,
) -> OptInOutcome:
    """Consent + link + event; a repeat gets the same link and no new rows.

    `new_fan`: the fan row was created in this transaction, so no opt-out can exist yet.
    """
    result = consent.opt_in(
        session, fan_id, campaign_id, channel, sender, source, check_opt_out=not new_fan
    )
    kind = {
        OptInResult.NEW: "optin",
        OptInResult.DUPLICATE: "duplicate_optin",
        OptInResult.BLOCKED: "optin_blocked",
    }[result]
    events.record(
        session,
        kind,
        campaign_id=campaign_id,
        fan_id=fan_id,
        channel=channel,
        source=source,
        country=place.country,
        region=place.region,
    )
    if result is OptInResult.BLOCKED:
        return OptInOutcome(result, None)
    code, _ = links.issue_code(session, fan_id, campaign_id, source)
    return OptInOutcome(result, links.link_url(public_url, code))


def active_campaigns_of_sender(session: Db, fan_id: int, channel: str, sender: str) -> list[int]:
    """Ids of the campaigns the fan is currently opted in to on this sender."""
    query = select(Consent.campaign_id).where(
        Consent.fan_id == fan_id,
        Consent.channel == channel,
        Consent.sender == sender,
        Consent.status == ConsentStatus.OPTED_IN,
    )
    return sorted(set(session.scalars(query)))
