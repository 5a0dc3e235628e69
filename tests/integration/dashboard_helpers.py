"""Rows for the dashboard read tests: fans in a campaign in any state, in a few lines."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from core.models import Consent, Fan, FanLink, PreSave, SpotifyGrant
from core.timeutil import utcnow

_numbers = itertools.count(1)


def add_fan(
    session: Session,
    campaign_id: int,
    *,
    channel: str = "sms",
    consent: str | None = "opted_in",
    presave: str | None = None,
    grant: str | None = None,
    joined: datetime | None = None,
    fan_id: int | None = None,
    market: str | None = None,
) -> int:
    """A fan joined to the campaign (new, or `fan_id`: a fan already in, on another channel):
    link, consent, pre-save and grant as asked (a pre-save brings an active grant unless
    `grant` says otherwise); flushed."""
    at = joined or utcnow()
    if fan_id is None:
        n = next(_numbers)
        fan = (
            Fan(phone_e164=f"+1415{3_000_000 + n:07d}", created_at=at)
            if channel == "sms"
            else Fan(discord_user_id=str(700_000_000_000_000_000 + n), created_at=at)
        )
        session.add(fan)
        session.flush()
        fan_id = fan.id
        if presave is not None or grant is not None:
            session.add(
                SpotifyGrant(
                    fan_id=fan_id, spotify_user_id=f"u{fan_id}", status=grant or "active",
                    country=market,
                )
            )  # fmt: skip
        session.add(
            FanLink(
                code=secrets.token_urlsafe(16), fan_id=fan_id, campaign_id=campaign_id,
                source=channel, created_at=at,
            )
        )  # fmt: skip
    if consent is not None:
        sender = "discord" if channel == "discord" else "+15005550006"
        session.add(
            Consent(
                fan_id=fan_id, campaign_id=campaign_id, channel=channel, sender=sender,
                status=consent, source=channel, at=at,
            )
        )  # fmt: skip
    if presave is not None:
        session.add(PreSave(campaign_id=campaign_id, fan_id=fan_id, status=presave, market=market))
    session.flush()
    return fan_id
