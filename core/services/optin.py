"""Opting a fan in to a campaign: consent, personal link and events, one place for all channels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, CampaignStatus, Consent, ConsentStatus, Fan
from core.services import consent, events, links
from core.services.consent import OptInResult
from core.services.fans import Place


@dataclass(frozen=True)
class OptInOutcome:
    """What an opt-in did, and the fan's personal link when one applies."""

    result: OptInResult
    link: str | None


def open_campaigns(session: Session) -> list[Campaign]:
    """Campaigns that accept opt-ins, soonest release first."""
    query = (
        select(Campaign)
        .where(Campaign.status == CampaignStatus.OPEN)
        .order_by(Campaign.release_at, Campaign.id)
    )
    return list(session.scalars(query))


def opt_in(
    session: Session,
    *,
    public_url: str,
    fan: Fan,
    campaign: Campaign,
    channel: str,
    sender: str,
    source: str,
    place: Place,
) -> OptInOutcome:
    """Consent + link + event; a repeat gets the same link and no new rows."""
    result = consent.opt_in(session, fan.id, campaign, channel, sender, source)
    kind = {
        OptInResult.NEW: "optin",
        OptInResult.DUPLICATE: "duplicate_optin",
        OptInResult.BLOCKED: "optin_blocked",
    }[result]
    events.record(
        session,
        kind,
        campaign_id=campaign.id,
        fan_id=fan.id,
        channel=channel,
        source=source,
        country=place.country,
        region=place.region,
    )
    if result is OptInResult.BLOCKED:
        return OptInOutcome(result, None)
    link, _ = links.issue(session, fan.id, campaign.id, source)
    return OptInOutcome(result, links.link_url(public_url, link.code))


def campaigns_of_sender(session: Session, fan_id: int, channel: str, sender: str) -> list[int]:
    """Ids of the campaigns the fan consented to on this sender (opted in or not)."""
    query = select(Consent.campaign_id).where(
        Consent.fan_id == fan_id, Consent.channel == channel, Consent.sender == sender
    )
    return sorted(set(session.scalars(query)))


def active_campaigns_of_sender(
    session: Session, fan_id: int, channel: str, sender: str
) -> list[int]:
    """Ids of the campaigns the fan is currently opted in to on this sender."""
    query = select(Consent.campaign_id).where(
        Consent.fan_id == fan_id,
        Consent.channel == channel,
        Consent.sender == sender,
        Consent.status == ConsentStatus.OPTED_IN,
    )
    return sorted(set(session.scalars(query)))
