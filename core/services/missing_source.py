"""Pre-saves whose release never showed up on Spotify: `pending_source`, with the reason.

A fan waits as `pending` (or `queued_for_market`) while the watch looks the release up. An
hour after the release day began in the fan's market (after the release time, for a fan of
no known market) with the release still not found there, the wait is no longer normal: the
pre-save becomes `pending_source` and says why, so the artist sees it in
`presave campaign show` and can fix the identifiers or use `presave release mark-live`.
When the release is found after all, the fan-out's plan takes these pre-saves as it takes
any other waiting one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.markets import ANY
from core.models import Campaign, PreSave, PreSaveStatus, SpotifyGrant
from core.services.release_schedule import market_midnight
from core.services.release_watch import found_markets

GRACE = timedelta(hours=1)
WAITING = (PreSaveStatus.PENDING, PreSaveStatus.QUEUED_FOR_MARKET)
REASON = (
    "the release was not found on Spotify in {market} an hour after it was due; check the "
    "campaign's album id, UPC and ISRC, or mark it live by hand (presave release mark-live)"
)
BATCH = 500


def _overdue(campaign: Campaign, market: str, found: set[str], now: datetime) -> bool:
    if market == ANY:  # no known market: due at the release time, and found anywhere will do
        return not found and campaign.release_at + GRACE <= now
    return market not in found and market_midnight(campaign, market) + GRACE <= now


def mark(session: Session, campaign: Campaign, now: datetime) -> int:
    """Mark the campaign's overdue waiting pre-saves `pending_source`; how many were marked."""
    if campaign.release_at + GRACE > now:
        return 0  # nothing is due before the release time, anywhere
    found = set(found_markets(session, campaign.id))
    market = func.coalesce(PreSave.market, SpotifyGrant.country)
    rows = session.execute(
        select(PreSave.id, market)
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == PreSave.fan_id)
        .where(PreSave.campaign_id == campaign.id, PreSave.status.in_(WAITING))
    ).all()
    by_market: dict[str, list[int]] = {}
    for presave_id, code in rows:
        by_market.setdefault(str(code).upper() if code else ANY, []).append(int(presave_id))
    marked = 0
    for code, ids in sorted(by_market.items()):
        if not _overdue(campaign, code, found, now):
            continue
        reason = REASON.format(market="any market" if code == ANY else code)
        for start in range(0, len(ids), BATCH):
            result = session.execute(
                update(PreSave)
                .where(PreSave.id.in_(ids[start : start + BATCH]), PreSave.status.in_(WAITING))
                .values(status=PreSaveStatus.PENDING_SOURCE, last_error=reason, updated_at=now),
                execution_options={"synchronize_session": False},
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked
