"""A fan who connects after the drop: their pre-save is due at once, not at the next recheck."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import PreSaveStatus
from core.services import drop, grants


def due_after_connect(session: Session, campaign_id: int, fan_id: int) -> int | None:
    """The fan's pre-save id if the release is already live in their market (saved next by a
    save job); a fan whose market is not live yet waits for it, as the drop's plan would."""
    markets = drop.live_markets(session, campaign_id)
    presave = grants.presave_of(session, campaign_id, fan_id)
    if not markets or presave is None or presave.status not in drop.WAITING:
        return None
    if presave.market is None:
        grant = grants.grant_of(session, fan_id)
        presave.market = grant.country if grant is not None else None
    if drop.ANY_MARKET in markets or presave.market is None or presave.market in markets:
        presave.status = PreSaveStatus.PENDING
        presave.next_attempt_at = None
        session.flush()
        return presave.id
    presave.status = PreSaveStatus.QUEUED_FOR_MARKET
    session.flush()
    return None
