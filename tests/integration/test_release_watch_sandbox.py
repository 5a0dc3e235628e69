"""The release watch against the local Spotify stand-in: New Zealand goes live first, US later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session

from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.sandbox_fixtures import Running, start
from tests.integration.test_release_watch_support import (
    NZ_MIDNIGHT,
    RELEASE,
    RELEASE_AT,
    Starts,
    add_fan,
    detections,
    fresh_app_tokens,
    live_markets,
    reload,
)
from workers import release_jobs

__all__ = ["fresh_app_tokens"]

UPC = "602445791234"
ISRC = "USUM72600001"


@pytest.fixture
def stand_in() -> Iterator[Running]:
    """A sandbox on 127.0.0.1 with an album that goes live at local midnight in NZ and US."""
    running = start()
    yield running
    running.http.close()
    running.server.shutdown()


def add_album(running: Running) -> dict[str, Any]:
    return running.album(
        name="Night Bloom",
        artist_name="Mira Vale",
        upc=UPC,
        release_date="2026-12-04",
        local_midnight=True,
        markets=["NZ", "US"],
        tracks=[{"name": "Night Bloom", "isrc": ISRC}, {"name": "Petals", "isrc": "USUM72600002"}],
    )


def at(running: Running, instant: datetime) -> datetime:
    """Set the stand-in's clock; the watch is told the same time."""
    running.admin("clock", {"now": instant.isoformat()})
    return instant


@pytest.mark.parametrize("method", ["album_id", "upc", "isrc"])
def test_new_zealand_first_then_the_us(
    db: Session, settings: Settings, redis_conn: redis.Redis, stand_in: Running, method: str
) -> None:
    album = add_album(stand_in)
    sp = settings.with_overrides(
        spotify_client_id=None,
        spotify_accounts_base=f"{stand_in.base}/accounts",
        spotify_api_base=f"{stand_in.base}/v1",
    )
    identifier = {"album_id": album["id"], "upc": UPC, "isrc": ISRC}[method]
    campaign = make_campaign(
        db,
        "BLOOM",
        release_at=RELEASE_AT,
        timezone="America/New_York",
        spotify_album_id=identifier if method == "album_id" else None,
        upc=identifier if method == "upc" else None,
        isrc=identifier if method == "isrc" else None,
    )
    add_fan(db, campaign, "NZ")
    add_fan(db, campaign, "US")
    starts = Starts()

    def tick(now: datetime) -> int:
        return release_jobs.watch_tick(redis_conn, settings=sp, now=now, on_live=starts)

    assert tick(at(stand_in, NZ_MIDNIGHT - timedelta(minutes=2))) == 1
    assert live_markets(db, campaign.id) == {}

    found_nz = at(stand_in, NZ_MIDNIGHT + timedelta(seconds=30))
    assert tick(found_nz) == 1
    assert live_markets(db, campaign.id) == {"NZ": (album["id"], method)}
    assert starts.campaigns == [campaign.id]
    first = reload(db, campaign.id)
    assert (first.detected_at, first.detected_market) == (found_nz, "NZ")
    assert first.release_album_id == album["id"]

    # 18 hours on (the app token has expired meanwhile), New York's midnight has not come.
    assert tick(at(stand_in, RELEASE - timedelta(minutes=1))) == 1
    assert set(live_markets(db, campaign.id)) == {"NZ"}

    found_us = at(stand_in, RELEASE + timedelta(seconds=30))
    assert tick(found_us) == 1
    assert live_markets(db, campaign.id) == {
        "NZ": (album["id"], method),
        "US": (album["id"], method),
    }
    assert detections(db, campaign.id) == ["NZ", "US"]
    assert starts.campaigns == [campaign.id, campaign.id]
    done = reload(db, campaign.id)
    assert (done.detected_at, done.detected_market) == (found_nz, "NZ")
    assert done.next_check_at is None

    stats = stand_in.admin("stats")
    assert stats["spotify"]["requests"] >= 4
    assert stats["spotify"]["by_status"].get("429", 0) == 0
    assert stats["accounts"]["by_endpoint"].get("token", 0) == 2, "one app token, renewed once"
