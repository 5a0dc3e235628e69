"""Starting and claiming a Spotify authorization (the steps around the provider calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Fan, FanLink
from core.providers import spotify
from core.services import oauth_state
from core.services.link_pages import CampaignCard, campaign_card
from core.services.oauth_state import AuthState


@dataclass(frozen=True)
class Claim:
    """A state that was valid and is now spent, with what the callback pages need."""

    state: AuthState
    campaign: CampaignCard
    link_code: str | None  # the fan's personal link, when the fan was known


def start_url(
    app: spotify.SpotifyApp,
    secret_key: str,
    card: CampaignCard,
    *,
    fan_id: int | None,
    source: str,
    now: datetime | None = None,
) -> str:
    """Spotify's authorize URL with a fresh signed state for this fan, campaign and source."""
    state = oauth_state.issue(
        secret_key, campaign_id=card.id, fan_id=fan_id, source=source, now=now
    )
    return spotify.authorize_url(app, card.scopes, state)


def claim(session: Session, state: AuthState, *, now: datetime | None = None) -> Claim:
    """Spend the state's nonce (BadState if replayed) and load what it names (LookupError)."""
    campaign = session.get(Campaign, state.campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {state.campaign_id} is gone")
    link_code = None
    if state.fan_id is not None:
        if session.get(Fan, state.fan_id) is None:
            raise LookupError(f"fan {state.fan_id} is gone")
        link_code = session.scalar(
            select(FanLink.code).where(
                FanLink.fan_id == state.fan_id, FanLink.campaign_id == campaign.id
            )
        )
    oauth_state.spend(session, state, now=now)
    return Claim(state, campaign_card(campaign, now=now), link_code)
