"""The release watch: when to look a campaign's release up, where, and what a find records.

There is no upcoming-release API: a release is found by looking it up, market by market,
until it answers. Lookups use the campaign's album id, else its UPC, else its ISRC. The
markets that matter are those of the campaign's fans (their grants' countries); `*` stands
for "anywhere" when a fan's country is unknown or there are no fans yet.

When to look (the polling policy) is `core.services.release_schedule`; which campaign a
watch tick takes next, and the tick itself, `core.services.release_tick`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from core.markets import ANY
from core.models import (
    Campaign,
    PreSave,
    PreSaveStatus,
    ReleaseMarket,
    SpotifyGrant,
)
from core.providers import spotify_catalog
from core.providers.spotify import SpotifyApp
from core.services import events
from core.services.release_schedule import market_midnight, next_check_at
from core.timeutil import utcnow
from core.upsert import insert_ignore
from core.validation import ValidationError

METHODS = ("album_id", "upc", "isrc", "manual")
# Marking a release live earlier than this before its release time needs `force`: the
# release day starts at most 14 hours before UTC's (Kiribati), so a real early drop is
# within about a day; earlier is almost surely a mistake, and a drop cannot be undone.
EARLY_MARK = timedelta(hours=26)
EVENT_KIND = "release_detected"
RELEASE_MARKETS: Table = ReleaseMarket.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Target:
    """How to look a campaign's release up: the first identifier it has."""

    campaign_id: int
    method: str
    value: str


@dataclass(frozen=True)
class Lookup:
    """What one lookup in one market answered."""

    market: str
    method: str
    found: bool
    album_id: str | None = None
    album_name: str | None = None
    available_markets: tuple[str, ...] | None = None
    new: bool = False


def target_of(campaign: Campaign) -> Target | None:
    """Album id, else UPC, else ISRC; None when the campaign has none of them."""
    for method, value in (
        ("album_id", campaign.spotify_album_id),
        ("upc", campaign.upc),
        ("isrc", campaign.isrc),
    ):
        if value:
            return Target(campaign.id, method, value)
    return None


def found_markets(session: Session, campaign_id: int) -> dict[str, datetime]:
    """Markets where the release was found, with when."""
    rows = session.execute(
        select(ReleaseMarket.market, ReleaseMarket.found_at)
        .where(ReleaseMarket.campaign_id == campaign_id)
        .order_by(ReleaseMarket.found_at, ReleaseMarket.market)
    )
    return {market: at for market, at in rows}


def fan_markets(session: Session, campaign_id: int) -> set[str]:
    """The markets of the campaign's fans with a pre-save (`*` for unknown countries)."""
    country = func.coalesce(SpotifyGrant.country, PreSave.market)
    rows = session.scalars(
        select(country)
        .select_from(PreSave)
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == PreSave.fan_id)
        .where(PreSave.campaign_id == campaign_id, PreSave.status != PreSaveStatus.CANCELLED)
        .distinct()
    )
    return {str(c).upper() if c else ANY for c in rows}


def markets_to_watch(session: Session, campaign: Campaign) -> list[str]:
    """Fan markets where the release is not found yet, earliest midnight first.

    With no fans at all, `*` (anywhere) until the release is found somewhere.
    """
    wanted = fan_markets(session, campaign.id) or {ANY}
    found = found_markets(session, campaign.id)
    if ANY in wanted and found:
        wanted.discard(ANY)  # live somewhere is all we can know for fans of no known market
    pending = wanted - set(found)
    return sorted(pending, key=lambda m: (market_midnight(campaign, m), m))


def lookup(app: SpotifyApp, target: Target, market: str) -> Lookup:
    """Look the release up in one market (`*`: anywhere). Provider errors propagate."""
    where = None if market == ANY else market
    if target.method == "album_id":
        album = spotify_catalog.album_in_market(app, target.value, where)
    elif target.method == "upc":
        album = spotify_catalog.search_upc(app, target.value, where)
    else:
        album = spotify_catalog.search_isrc(app, target.value, where)
    if album is None:
        return Lookup(market=market, method=target.method, found=False)
    return Lookup(
        market=market,
        method=target.method,
        found=True,
        album_id=album.id,
        album_name=album.name,
        available_markets=album.available_markets,
    )


def record_found(
    session: Session,
    campaign: Campaign,
    market: str,
    album_id: str,
    method: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Record that the release is live in `market`; True when that is new.

    The first find also sets the campaign's detected_at, detected_market and
    release_album_id. Each new market adds a `release_detected` event for that country.
    """
    if method not in METHODS:
        raise ValueError(f"unknown detection method {method!r}")
    at = now or utcnow()
    values = {
        "campaign_id": campaign.id,
        "market": market,
        "album_id": album_id,
        "found_at": at,
        "method": method,
    }
    if insert_ignore(session, RELEASE_MARKETS, values, ReleaseMarket.id) is None:
        return False
    if campaign.detected_at is None:
        campaign.detected_at = at
        campaign.detected_market = market
        campaign.release_album_id = album_id
    events.record(
        session, EVENT_KIND, campaign_id=campaign.id, country=None if market == ANY else market
    )
    session.flush()
    return True


@dataclass(frozen=True)
class Outcome:
    """The lookups made (each marked `new` when it found a new market) and every new market."""

    lookups: tuple[Lookup, ...]
    new_markets: tuple[str, ...]


def apply(
    session: Session, campaign: Campaign, lookups: Sequence[Lookup], now: datetime
) -> Outcome:
    """Record what lookups found and schedule the next look.

    A find that lists `available_markets` also records the pending fan markets it names.
    """
    pending = set(markets_to_watch(session, campaign))
    done: list[Lookup] = []
    new_markets: list[str] = []
    for result in lookups:
        new = False
        if result.found and result.album_id:
            new = record_found(
                session, campaign, result.market, result.album_id, result.method, now=now
            )
            if new:
                new_markets.append(result.market)
            for other in sorted(pending & set(result.available_markets or ())):
                if other != result.market and record_found(
                    session, campaign, other, result.album_id, result.method, now=now
                ):
                    new_markets.append(other)
        done.append(replace(result, new=new))
    campaign.last_checked_at = now
    campaign.next_check_at = next_check_at(campaign, markets_to_watch(session, campaign), now)
    return Outcome(tuple(done), tuple(new_markets))


def check(
    session: Session,
    app: SpotifyApp,
    campaign: Campaign,
    market: str,
    *,
    now: datetime | None = None,
) -> Lookup:
    """Look up one market now and record the outcome (holds `session` during the HTTP call)."""
    target = target_of(campaign)
    if target is None:
        raise ValueError("the campaign has no album id, UPC or ISRC")
    at = now or utcnow()
    return apply(session, campaign, [lookup(app, target, market)], at).lookups[0]


def markets_to_check(session: Session, campaign: Campaign) -> list[str]:
    """What `presave release check` looks up: the markets still missing, else every found one."""
    return markets_to_watch(session, campaign) or sorted(found_markets(session, campaign.id))


def mark_live(
    session: Session,
    campaign: Campaign,
    album_id: str,
    market: str | None,
    now: datetime,
    *,
    correct_album: bool = False,
    force: bool = False,
) -> list[str]:
    """The operator says it is live (method "manual") in `market`, or every missing fan market.

    With `correct_album` the album id replaces the campaign's, so the watch looks that album
    up for the markets still missing. More than EARLY_MARK before the release time it is
    refused unless `force`. Returns the markets newly recorded.
    """
    if not force and now < campaign.release_at - EARLY_MARK:
        when = campaign.release_at.strftime("%Y-%m-%d %H:%M UTC")
        raise ValidationError(
            "--force",
            f"required to mark it live more than 26 hours before its release time ({when})",
        )
    if correct_album:
        campaign.spotify_album_id = album_id
        campaign.release_album_id = album_id
    markets = [market] if market else markets_to_watch(session, campaign)
    new = [m for m in markets if record_found(session, campaign, m, album_id, "manual", now=now)]
    campaign.next_check_at = next_check_at(campaign, markets_to_watch(session, campaign), now)
    return new
