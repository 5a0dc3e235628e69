"""#20: the release watch meets Spotify's quota 429 (QUOTA_EXCEEDED) at the local stand-in.

A quota 429 is the app-wide stop: the watch sets the same Redis stop the saves obey, makes
no request while it lasts, and looks again after the reset. A rate-limit 429 only pauses
the watch for its Retry-After, as before.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.models import Campaign
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.sandbox_fixtures import Running, start
from tests.integration.test_release_watch_support import (
    NZ_MIDNIGHT,
    RELEASE_AT,
    Starts,
    add_fan,
    fresh_app_tokens,
    live_markets,
    reload,
)
from workers import release_jobs
from workers.quota_stop import KEY as QUOTA_KEY
from workers.quota_stop import RedisQuotaStop

__all__ = ["fresh_app_tokens"]

FOUND = NZ_MIDNIGHT + timedelta(seconds=30)  # the album is live in New Zealand by then


@pytest.fixture
def stand_in() -> Iterator[Running]:
    """A sandbox on 127.0.0.1 whose clock is just past New Zealand's release midnight."""
    running = start()
    running.admin("clock", {"now": FOUND.isoformat()})
    yield running
    running.http.close()
    running.server.shutdown()


@pytest.fixture
def watched(db: Session, stand_in: Running) -> tuple[Campaign, dict[str, Any]]:
    """A campaign watching the stand-in's album, with one fan in New Zealand."""
    album = stand_in.album(
        name="Night Bloom", artist_name="Mira Vale", release_date="2026-12-04",
        local_midnight=True, markets=["NZ", "US"],
        tracks=[{"name": "Night Bloom", "isrc": "USUM72600001"}],
    )  # fmt: skip
    campaign = make_campaign(
        db, "BLOOM", release_at=RELEASE_AT, timezone="America/New_York",
        spotify_album_id=album["id"],
    )  # fmt: skip
    add_fan(db, campaign, "NZ")
    return campaign, album


def point_at(settings: Settings, running: Running) -> Settings:
    """Settings whose Spotify is the stand-in."""
    return settings.with_overrides(
        spotify_client_id=None,
        spotify_accounts_base=f"{running.base}/accounts",
        spotify_api_base=f"{running.base}/v1",
    )


def fault(running: Running, kind: str, retry_after_s: int) -> None:
    """The Web API answers the next album lookup with this 429."""
    rule = {"kind": kind, "service": "spotify", "endpoint": "album", "count": 1}
    running.admin("faults", rule | {"retry_after_s": retry_after_s})


def web_api_calls(running: Running) -> dict[str, int]:
    """How many Web API requests the stand-in answered, by status."""
    stats = running.admin("stats")["spotify"]
    return {"all": int(stats["requests"]), **{k: int(v) for k, v in stats["by_status"].items()}}


def test_a_quota_429_stops_every_spotify_call_of_the_app_until_its_reset(
    db: Session, settings: Settings, redis_conn: redis.Redis, stand_in: Running,
    watched: tuple[Campaign, dict[str, Any]],
) -> None:  # fmt: skip
    campaign, _album = watched
    sp, starts = point_at(settings, stand_in), Starts()
    fault(stand_in, "quota", 7200)
    before = datetime.now(UTC)

    assert release_jobs.watch_tick(redis_conn, settings=sp, now=FOUND, on_live=starts) == 1
    assert web_api_calls(stand_in) == {"all": 1, "429": 1}
    # The same stop the saves obey, ending at the quota's reset.
    until = RedisQuotaStop(redis_conn).until()
    assert until is not None
    assert before + timedelta(seconds=7190) <= until <= datetime.now(UTC) + timedelta(hours=2)
    assert 7000 * 1000 <= int(redis_conn.pttl(QUOTA_KEY)) <= 7200 * 1000
    # The campaign is looked at again after the reset, not before; nothing was found.
    postponed = reload(db, campaign.id).next_check_at
    assert postponed is not None
    assert postponed == FOUND + timedelta(seconds=7200)
    assert live_markets(db, campaign.id) == {} and starts.campaigns == []

    # While the stop lasts no tick calls Spotify, whatever the campaign's next check says.
    later = FOUND + timedelta(minutes=30)
    db.execute(update(Campaign).values(next_check_at=None, last_checked_at=None))
    db.commit()
    assert release_jobs.watch_tick(redis_conn, settings=sp, now=later, on_live=starts) == 0
    assert web_api_calls(stand_in)["all"] == 1
    assert stand_in.admin("stats")["accounts"]["by_endpoint"].get("token", 0) == 1


def test_the_watch_resumes_after_the_reset(
    db: Session, settings: Settings, redis_conn: redis.Redis, stand_in: Running,
    watched: tuple[Campaign, dict[str, Any]],
) -> None:  # fmt: skip
    campaign, album = watched
    sp, starts = point_at(settings, stand_in), Starts()
    fault(stand_in, "quota", 2)
    assert release_jobs.watch_tick(redis_conn, settings=sp, now=FOUND, on_live=starts) == 1
    deadline = time.monotonic() + 15
    while redis_conn.exists(QUOTA_KEY) and time.monotonic() < deadline:
        time.sleep(0.05)  # the stop is Redis's key: it ends when the key expires
    assert not redis_conn.exists(QUOTA_KEY), "the quota stop never ended"

    after = FOUND + timedelta(minutes=1)
    assert release_jobs.watch_tick(redis_conn, settings=sp, now=after, on_live=starts) == 1
    assert live_markets(db, campaign.id) == {"NZ": (album["id"], "album_id")}
    assert starts.campaigns == [campaign.id]
    assert web_api_calls(stand_in) == {"all": 2, "429": 1, "200": 1}


def test_a_stop_set_by_the_saves_also_holds_the_watch(
    settings: Settings, redis_conn: redis.Redis, stand_in: Running,
    watched: tuple[Campaign, dict[str, Any]],
) -> None:  # fmt: skip
    RedisQuotaStop(redis_conn).stop(datetime.now(UTC) + timedelta(hours=1))
    sp = point_at(settings, stand_in)
    assert release_jobs.watch_tick(redis_conn, settings=sp, now=FOUND, on_live=Starts()) == 0
    assert web_api_calls(stand_in)["all"] == 0


def test_a_rate_limit_429_only_pauses_the_watch(
    db: Session, settings: Settings, redis_conn: redis.Redis, stand_in: Running,
    watched: tuple[Campaign, dict[str, Any]],
) -> None:  # fmt: skip
    campaign, _album = watched
    sp = point_at(settings, stand_in)
    fault(stand_in, "429", 30)
    assert release_jobs.watch_tick(redis_conn, settings=sp, now=FOUND, on_live=Starts()) == 1
    assert web_api_calls(stand_in) == {"all": 1, "429": 1}
    assert release_jobs.paused(redis_conn)
    assert 25_000 <= int(redis_conn.pttl(release_jobs.PAUSE_KEY)) <= 30_000
    assert not redis_conn.exists(QUOTA_KEY), "a rate limit is not the app-wide quota stop"
    assert RedisQuotaStop(redis_conn).until() is None
    postponed = reload(db, campaign.id).next_check_at
    assert postponed == FOUND + timedelta(seconds=30)
