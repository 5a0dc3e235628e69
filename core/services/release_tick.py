"""One tick of the release watch: take due campaigns one by one, look them up on Spotify
with no database session open, record what was found, and start each new live market.

The caller (the periodic job) brings the Spotify app, the request budget it may spend
(`take`, shared by parallel ticks), and what starts a drop (`live`). A 429 ends the tick
and is handed back, so the caller can pause every watch for its Retry-After; a quota 429
(QUOTA_EXCEEDED) also hands back its reset, for the app-wide stop the saves obey too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import Campaign, CampaignStatus
from core.providers import ProviderError, QuotaExceeded, RateLimited
from core.providers.spotify import SpotifyApp
from core.services import missing_source
from core.services.release_schedule import WATCH_AFTER, WATCH_BEFORE, markets_due
from core.services.release_watch import Lookup, Target, lookup, markets_to_watch, target_of
from core.services.release_watch import apply as apply_lookups

log = logging.getLogger(__name__)

# A claimed campaign is not picked again for this long (a crashed tick lets it go).
LEASE = timedelta(minutes=3)
# A campaign with every fan market found is re-read this often, for fans in new markets.
RECHECK = timedelta(minutes=10)
# A tick stops claiming campaigns after this long (the periodic queue's timeout is 120 s).
DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class Plan:
    """A claimed campaign and the markets to look up now (none: nothing left to find)."""

    campaign_id: int
    target: Target | None
    markets: tuple[str, ...]


def _due(now: datetime, skip: Sequence[int]) -> list[ColumnElement[bool]]:
    """Conditions of a campaign the watch should look at now."""
    conditions = [
        Campaign.status == CampaignStatus.OPEN,
        Campaign.release_at <= now + WATCH_BEFORE,
        Campaign.release_at > now - WATCH_AFTER,
        or_(
            Campaign.spotify_album_id.is_not(None),
            Campaign.upc.is_not(None),
            Campaign.isrc.is_not(None),
        ),
        or_(
            Campaign.next_check_at <= now,
            and_(
                Campaign.next_check_at.is_(None),
                or_(Campaign.last_checked_at.is_(None), Campaign.last_checked_at <= now - RECHECK),
            ),
        ),
    ]
    if skip:
        conditions.append(Campaign.id.not_in(skip))
    return conditions


def claim_next_due(session: Session, now: datetime, skip: Sequence[int] = ()) -> Plan | None:
    """Take the most overdue campaign (not in `skip`) and decide which markets to look up.

    It is leased for a few minutes so a parallel tick does not look it up too.
    """
    query = (
        select(Campaign)
        .where(*_due(now, skip))
        .order_by(Campaign.next_check_at.is_not(None), Campaign.next_check_at, Campaign.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    campaign = session.scalar(query)
    if campaign is None:
        return None
    pending = markets_to_watch(session, campaign)
    if not pending:
        campaign.last_checked_at = now
        campaign.next_check_at = None
        return Plan(campaign.id, target_of(campaign), ())
    campaign.next_check_at = now + LEASE
    return Plan(campaign.id, target_of(campaign), tuple(markets_due(campaign, pending, now)))


def postpone(campaign: Campaign, seconds: float, now: datetime) -> None:
    """Spotify said wait (429 Retry-After): look again no sooner than that."""
    campaign.last_checked_at = now
    campaign.next_check_at = now + timedelta(seconds=max(seconds, 1.0))


def release_lease(campaign: Campaign, now: datetime) -> None:
    """Give a claimed campaign back unlooked (no budget left): due again at once."""
    campaign.next_check_at = now


@dataclass(frozen=True)
class TickDone:
    """Lookups made, Spotify's Retry-After when a 429 ended the tick, and the quota's
    reset (UTC) when that 429 was a quota one."""

    made: int
    retry_after: float | None = None
    quota_until: datetime | None = None


@dataclass(frozen=True)
class Halt:
    """Why a campaign's lookups stopped early: a 429's wait, and a quota 429's reset."""

    retry_after: float
    quota_until: datetime | None = None


def run(
    database_url: str,
    app: SpotifyApp,
    now: datetime,
    limit: int,
    take: Callable[[int], int],
    live: Callable[[int, tuple[str, ...]], object],
) -> TickDone:
    """Look up due campaigns, at most `limit` lookups; `take(wanted)` grants lookups from
    the shared budget, `live(campaign_id, markets)` starts newly live markets."""
    seen: list[int] = []
    made = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    while made < limit and time.monotonic() < deadline:
        with transaction(database_url) as session:
            plan = claim_next_due(session, now, seen)
        if plan is None:
            break
        seen.append(plan.campaign_id)
        if not plan.markets or plan.target is None:
            continue
        granted = take(min(len(plan.markets), limit - made))
        if granted == 0:
            _give_back(database_url, plan.campaign_id, now)
            break
        results, requests, halt = _look(app, plan, plan.markets[:granted])
        made += requests
        short = granted < len(plan.markets)
        retry_after = halt.retry_after if halt else None
        live(plan.campaign_id, _record(database_url, plan, results, retry_after, short, now))
        if halt is not None:
            return TickDone(made, halt.retry_after, halt.quota_until)
        if short:
            break
    return TickDone(made)


def _look(
    app: SpotifyApp, plan: Plan, markets: tuple[str, ...]
) -> tuple[list[Lookup], int, Halt | None]:
    """Look each market up: the answers, requests made, and the 429 that stopped it."""
    results: list[Lookup] = []
    assert plan.target is not None
    for made, market in enumerate(markets, start=1):
        try:
            results.append(lookup(app, plan.target, market))
        except QuotaExceeded as exc:
            return results, made, Halt(exc.retry_after, exc.until)
        except RateLimited as exc:
            return results, made, Halt(exc.retry_after)
        except ProviderError as exc:
            log.warning("release watch: campaign %s market %s: %s", plan.campaign_id, market, exc)
    return results, len(markets), None


def _give_back(database_url: str, campaign_id: int, now: datetime) -> None:
    """No budget left for a claimed campaign: due again at once, nothing recorded."""
    with transaction(database_url) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None:
            release_lease(campaign, now)


def _record(
    database_url: str,
    plan: Plan,
    results: list[Lookup],
    retry_after: float | None,
    short: bool,
    now: datetime,
) -> tuple[str, ...]:
    """Record findings and the next look; the markets newly live."""
    with transaction(database_url) as session:
        campaign = session.get(Campaign, plan.campaign_id)
        if campaign is None:
            return ()
        outcome = apply_lookups(session, campaign, results, now)
        missing_source.mark(session, campaign, now)
        if retry_after is not None:
            postpone(campaign, retry_after, now)
        elif short:
            release_lease(campaign, now)
    return outcome.new_markets
