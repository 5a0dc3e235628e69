"""A release that never shows up: the waiting pre-saves become pending_source, with why."""

from __future__ import annotations

from datetime import timedelta

import redis
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import PreSave, PreSaveStatus
from core.services import drop, missing_source
from core.settings import Settings
from tests.integration.spotify_stubs import rsps, sp_settings
from tests.integration.test_release_watch import campaign_with_fans, tick
from tests.integration.test_release_watch_support import (
    NZ_MIDNIGHT,
    RELEASE,
    FakeCatalog,
    Starts,
    fresh_app_tokens,
    reload,
)

__all__ = ["fresh_app_tokens", "rsps", "sp_settings"]  # fixtures used below


def statuses(db: Session, campaign_id: int) -> dict[str | None, tuple[str, str | None]]:
    db.expire_all()
    rows = db.execute(
        select(PreSave.market, PreSave.status, PreSave.last_error).where(
            PreSave.campaign_id == campaign_id
        )
    )
    return {market: (str(status), error) for market, status, error in rows}


def test_an_hour_after_its_midnight_a_market_without_the_release_is_pending_source(
    db: Session, sp_settings: Settings, redis_conn: redis.Redis, rsps: responses.RequestsMock
) -> None:
    spotify = FakeCatalog(live={"NZ"}).install(rsps)
    campaign_id = campaign_with_fans(db, "NZ", "US")
    starts = Starts()
    tick(redis_conn, sp_settings, NZ_MIDNIGHT + timedelta(minutes=1), starts)
    assert starts.campaigns == [campaign_id]
    drop.plan(db, campaign_id)  # what the started drop does first
    db.commit()
    assert statuses(db, campaign_id)["US"][0] == PreSaveStatus.QUEUED_FOR_MARKET

    # New York's midnight passes and the US still answers 404: normal for a while.
    campaign = reload(db, campaign_id)
    assert missing_source.mark(db, campaign, RELEASE + timedelta(minutes=59)) == 0
    # An hour later the watch's look marks the US fans, and says why.
    tick(redis_conn, sp_settings, RELEASE + timedelta(minutes=61), starts)
    assert spotify.calls[-1] == ("album", "US")
    status, error = statuses(db, campaign_id)["US"]
    assert status == PreSaveStatus.PENDING_SOURCE
    assert error is not None and "not found on Spotify in US" in error and "mark-live" in error
    assert statuses(db, campaign_id)["NZ"][0] != PreSaveStatus.PENDING_SOURCE

    # A re-plan (reconcile runs one every minute) does not hide it again...
    drop.plan(db, campaign_id)
    db.commit()
    assert statuses(db, campaign_id)["US"][0] == PreSaveStatus.PENDING_SOURCE
    # ...and once the release shows up there, those fans are saved like any other.
    spotify.live.add("US")
    tick(redis_conn, sp_settings, RELEASE + timedelta(minutes=71), starts)
    assert starts.campaigns == [campaign_id, campaign_id]
    assert drop.plan(db, campaign_id), "the US pre-save is due now"
    db.commit()
    assert statuses(db, campaign_id)["US"][0] == PreSaveStatus.PENDING


def test_fans_of_no_known_market_wait_for_the_release_time_plus_an_hour(db: Session) -> None:
    campaign_id = campaign_with_fans(db, None)
    campaign = reload(db, campaign_id)
    assert missing_source.mark(db, campaign, RELEASE + timedelta(minutes=30)) == 0
    assert missing_source.mark(db, campaign, RELEASE + timedelta(minutes=61)) == 1
    db.commit()
    status, error = statuses(db, campaign_id)[None]
    assert status == PreSaveStatus.PENDING_SOURCE
    assert error is not None and "any market" in error
    assert missing_source.mark(db, campaign, RELEASE + timedelta(hours=2)) == 0, "once"
