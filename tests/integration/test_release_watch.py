"""The release watch tick against Spotify stubbed at the wire: finds, markets, budget, 429s."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import redis
import responses
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import transaction
from core.markets import ANY
from core.models import Campaign, Event, ReleaseMarket
from core.services import campaigns, release_tick, release_watch
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.spotify_stubs import rsps, sp_settings
from tests.integration.test_release_watch_support import (
    ALBUM_ID,
    ISRC,
    NZ_MIDNIGHT,
    RELEASE,
    RELEASE_AT,
    TRACK_ALBUM_ID,
    UPC,
    FakeCatalog,
    Starts,
    add_fan,
    detections,
    fresh_app_tokens,
    live_markets,
    reload,
)
from workers import release_jobs, schedule

__all__ = ["fresh_app_tokens", "rsps", "sp_settings"]  # fixtures used below

AT_NZ_MIDNIGHT = NZ_MIDNIGHT + timedelta(minutes=1)
AT_US_MIDNIGHT = RELEASE + timedelta(minutes=1)


def campaign_with_fans(
    db: Session, *countries: str | None, keyword: str = "BLOOM", **ids: object
) -> int:
    identifiers = ids or {"spotify_album_id": ALBUM_ID}
    fields: dict[str, object] = {"spotify_album_id": None, **identifiers}
    campaign = make_campaign(
        db, keyword, release_at=RELEASE_AT, timezone="America/New_York", **fields
    )
    for country in countries:
        add_fan(db, campaign, country)
    return campaign.id


def tick(
    conn: redis.Redis, settings: Settings, now: datetime, starts: Starts, budget: int | None = None
) -> int:
    return release_jobs.watch_tick(conn, settings=settings, now=now, on_live=starts, budget=budget)


def test_the_clock_runs_the_watch_every_20_seconds() -> None:
    entry = next(p for p in schedule.SCHEDULE if p.name == "release-watch")
    assert entry.func is release_jobs.watch_tick and entry.every == 20
    assert entry.every == release_jobs.TICK_SECONDS


def test_found_by_album_id_in_the_first_fan_market(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", "US", "US")
    starts = Starts()

    assert tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts) == 1

    assert spotify.calls == [("album", "NZ")]
    assert live_markets(db, campaign_id) == {"NZ": (ALBUM_ID, "album_id")}
    campaign = reload(db, campaign_id)
    assert campaign.detected_at == AT_NZ_MIDNIGHT
    assert campaign.detected_market == "NZ"
    assert campaign.release_album_id == ALBUM_ID
    assert campaign.last_checked_at == AT_NZ_MIDNIGHT
    assert campaign.next_check_at is not None, "US fans are still waiting"
    assert detections(db, campaign_id) == ["NZ"]
    assert starts.campaigns == [campaign_id]


def test_found_by_upc_search_in_that_market(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", upc=UPC)
    starts = Starts()

    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts)

    assert spotify.calls == [(f"upc:{UPC}", "NZ")]
    assert live_markets(db, campaign_id) == {"NZ": (ALBUM_ID, "upc")}
    assert reload(db, campaign_id).release_album_id == ALBUM_ID
    assert starts.campaigns == [campaign_id]


def test_found_by_isrc_search_the_album_is_the_tracks(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", isrc=ISRC)
    starts = Starts()

    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts)

    assert spotify.calls == [(f"isrc:{ISRC}", "NZ")]
    assert live_markets(db, campaign_id) == {"NZ": (TRACK_ALBUM_ID, "isrc")}
    assert reload(db, campaign_id).release_album_id == TRACK_ALBUM_ID
    assert starts.campaigns == [campaign_id]


def test_not_found_records_nothing_and_schedules_the_next_look(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live=set()).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", "US")
    starts = Starts()

    assert tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts) == 1

    assert spotify.calls == [("album", "NZ")]
    assert live_markets(db, campaign_id) == {}
    assert detections(db, campaign_id) == []
    campaign = reload(db, campaign_id)
    assert campaign.detected_at is None and campaign.release_album_id is None
    assert campaign.last_checked_at == AT_NZ_MIDNIGHT
    assert campaign.next_check_at is not None
    assert AT_NZ_MIDNIGHT < campaign.next_check_at <= AT_NZ_MIDNIGHT + timedelta(seconds=40)
    assert starts.campaigns == []
    # Not due again before then: the next tick 20 s later looks nothing up.
    assert tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT + timedelta(seconds=20), starts) == 0


def test_a_market_that_goes_live_later_is_found_later(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "US", "NZ")
    starts = Starts()

    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts)
    # Before New York's midnight the US is looked up and not found.
    tick(redis_conn, sp_settings, RELEASE - timedelta(minutes=2), starts)
    assert spotify.calls == [("album", "NZ"), ("album", "US")]
    assert set(live_markets(db, campaign_id)) == {"NZ"}

    spotify.live.add("US")
    tick(redis_conn, sp_settings, AT_US_MIDNIGHT, starts)

    assert spotify.calls[-1] == ("album", "US")
    assert live_markets(db, campaign_id) == {
        "NZ": (ALBUM_ID, "album_id"),
        "US": (ALBUM_ID, "album_id"),
    }
    campaign = reload(db, campaign_id)
    assert (campaign.detected_market, campaign.detected_at) == ("NZ", AT_NZ_MIDNIGHT)
    assert detections(db, campaign_id) == ["NZ", "US"]
    assert starts.campaigns == [campaign_id, campaign_id], "one start per newly live market"
    assert campaign.next_check_at is None, "every fan market is live: the watch stops"
    assert tick(redis_conn, sp_settings, AT_US_MIDNIGHT + timedelta(minutes=5), starts) == 0


def test_fans_of_unknown_market_or_none_at_all_are_watched_anywhere(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ", "AU"}).install(rsps)
    campaign_id = campaign_with_fans(db)  # no fans yet
    starts = Starts()

    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts)

    assert spotify.calls == [("album", None)]
    assert live_markets(db, campaign_id) == {ANY: (ALBUM_ID, "album_id")}
    assert detections(db, campaign_id) == [None]
    assert reload(db, campaign_id).detected_market == ANY
    assert starts.campaigns == [campaign_id]


def test_a_find_listing_available_markets_records_the_fan_markets_it_names(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ", "AU"}).install(rsps)
    campaign_id = campaign_with_fans(db, None, "AU", "US")
    starts = Starts()

    # "Anywhere" starts with New Zealand's day: that is when it is looked up.
    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, starts)

    assert spotify.calls == [("album", None)]
    assert live_markets(db, campaign_id) == {
        ANY: (ALBUM_ID, "album_id"),
        "AU": (ALBUM_ID, "album_id"),
    }
    assert detections(db, campaign_id) == [None, "AU"]
    assert starts.campaigns == [campaign_id, campaign_id]


def test_budget_caps_the_lookups_of_one_tick(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live=set()).install(rsps)
    ids = [campaign_with_fans(db, "US", keyword=f"DROP{n}") for n in range(50)]
    starts = Starts()

    assert tick(redis_conn, sp_settings, AT_US_MIDNIGHT, starts, budget=7) == 7

    assert len(spotify.calls) == 7
    db.expire_all()
    looked = db.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.last_checked_at.is_not(None))
    )
    assert looked == 7
    due = db.scalar(
        select(func.count())
        .select_from(Campaign)
        .where(Campaign.id.in_(ids), Campaign.next_check_at.is_(None))
    )
    assert due == 43, "the others are still due for the next tick"


def test_default_budget_is_a_small_share_of_the_spotify_rate(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live=set()).install(rsps)
    for n in range(30):
        campaign_with_fans(db, "US", keyword=f"DROP{n}")
    settings = sp_settings.with_overrides(spotify_max_rps=10.0)
    assert release_jobs.budget_per_tick(settings) == 10  # 5% of 10/s over 20 s

    made = tick(redis_conn, settings, AT_US_MIDNIGHT, Starts())
    # A second tick in the same window (another worker) gets nothing more.
    made += tick(redis_conn, settings, AT_US_MIDNIGHT, Starts())

    assert made == len(spotify.calls) == 10


def test_429_does_not_crash_and_pushes_the_next_look_by_retry_after(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"US"}, retry_after="120").install(rsps)
    first = campaign_with_fans(db, "US", keyword="ONE")
    second = campaign_with_fans(db, "US", keyword="TWO")
    starts = Starts()

    assert tick(redis_conn, sp_settings, AT_US_MIDNIGHT, starts) == 1

    assert len(spotify.calls) == 1, "the tick stops at the first 429"
    limited = reload(db, first)
    assert limited.next_check_at is not None
    assert limited.next_check_at >= AT_US_MIDNIGHT + timedelta(seconds=120)
    assert live_markets(db, first) == {} and starts.campaigns == []
    assert reload(db, second).last_checked_at is None
    # Paused for every watch until Retry-After has passed.
    spotify.retry_after = None
    assert tick(redis_conn, sp_settings, AT_US_MIDNIGHT + timedelta(seconds=20), starts) == 0
    assert len(spotify.calls) == 1
    redis_conn.delete(release_jobs.PAUSE_KEY)
    tick(redis_conn, sp_settings, AT_US_MIDNIGHT + timedelta(seconds=121), starts)
    assert starts.campaigns == [second, first]


def test_spotify_errors_are_logged_and_the_watch_goes_on(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"US"}, fail_status=503).install(rsps)
    campaign_id = campaign_with_fans(db, "US")

    assert tick(redis_conn, sp_settings, AT_US_MIDNIGHT, Starts()) == 1

    assert len(spotify.calls) == 1
    campaign = reload(db, campaign_id)
    assert campaign.detected_at is None
    assert campaign.next_check_at is not None
    assert campaign.next_check_at <= AT_US_MIDNIGHT + timedelta(seconds=40)


def test_nothing_is_looked_up_before_26_hours_ahead(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"US"}).install(rsps)
    campaign_with_fans(db, "US")

    assert tick(redis_conn, sp_settings, RELEASE - timedelta(hours=26, minutes=1), Starts()) == 0
    assert tick(redis_conn, sp_settings, RELEASE + timedelta(hours=48), Starts()) == 0
    assert spotify.calls == []
    assert tick(redis_conn, sp_settings, RELEASE - timedelta(hours=26), Starts()) == 1


def test_the_app_token_is_fetched_once_for_many_lookups(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live=set()).install(rsps)
    for n in range(5):
        campaign_with_fans(db, "US", keyword=f"DROP{n}")

    tick(redis_conn, sp_settings, AT_US_MIDNIGHT, Starts())
    tick(redis_conn, sp_settings, AT_US_MIDNIGHT + timedelta(minutes=1), Starts())

    assert len(spotify.calls) == 10
    assert spotify.tokens == 1


def test_a_claimed_campaign_is_not_looked_up_by_a_parallel_tick(
    db: Session, sp_settings: Settings
) -> None:
    campaign_id = campaign_with_fans(db, "US")
    url = sp_settings.database_url
    with transaction(url) as session:
        plan = release_tick.claim_next_due(session, AT_US_MIDNIGHT)
    assert plan is not None and (plan.campaign_id, plan.markets) == (campaign_id, ("US",))
    with transaction(url) as session:
        assert release_tick.claim_next_due(session, AT_US_MIDNIGHT + timedelta(seconds=20)) is None
    # A tick that died holding it lets it go when the lease ends.
    with transaction(url) as session:
        again = release_tick.claim_next_due(session, AT_US_MIDNIGHT + release_tick.LEASE)
    assert again is not None and again.campaign_id == campaign_id


def test_recording_a_market_twice_is_one_row_and_one_event(
    db: Session, sp_settings: Settings
) -> None:
    campaign_id = campaign_with_fans(db, "US")
    with transaction(sp_settings.database_url) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert release_watch.record_found(session, campaign, "US", ALBUM_ID, "manual")
        assert not release_watch.record_found(session, campaign, "US", ALBUM_ID, "upc")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ReleaseMarket)) == 1
    assert db.scalar(select(func.count()).select_from(Event)) == 1


def test_campaign_json_shows_the_drop(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", "US")
    tick(redis_conn, sp_settings, AT_NZ_MIDNIGHT, Starts())

    with transaction(sp_settings.database_url) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        data = campaigns.campaign_json(session, campaign, sp_settings.public_url)

    assert data["drop"]["detected_at"] == AT_NZ_MIDNIGHT.isoformat()
    assert data["drop"]["detected_market"] == "NZ"
    assert data["drop"]["markets"] == {"NZ": AT_NZ_MIDNIGHT.isoformat()}


@pytest.mark.postgres
def test_the_watch_on_postgres(
    sp_settings: Settings, pg_url: str, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    from cli import migrate
    from core.db import session_factory

    migrate.upgrade(pg_url)
    pg = sp_settings.with_overrides(database_url=pg_url)
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    session = session_factory(pg_url)()
    try:
        ids = [campaign_with_fans(session, "NZ", "US", keyword=f"DROP{n}") for n in range(3)]
        starts = Starts()
        assert tick(redis_conn, pg, AT_NZ_MIDNIGHT, starts, budget=2) == 2
        for key in redis_conn.scan_iter("presave:release-watch:budget:*"):
            redis_conn.delete(key)  # the next 20 s window
        assert tick(redis_conn, pg, AT_NZ_MIDNIGHT + timedelta(seconds=1), starts, budget=2) == 1
        spotify.live.add("US")
        tick(redis_conn, pg, AT_US_MIDNIGHT, starts)
        assert sorted(starts.campaigns) == sorted(ids * 2)
        for campaign_id in ids:
            assert set(live_markets(session, campaign_id)) == {"NZ", "US"}
            assert reload(session, campaign_id).next_check_at is None
    finally:
        session.close()
