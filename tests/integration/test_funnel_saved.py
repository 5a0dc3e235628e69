"""`saved`: drop day writes one event per fan saved, with the market it was saved in and
the fan's opt-in channel and source, in the batch that records the save."""

from __future__ import annotations

from sqlalchemy import select, update

from bench.seed import mark_detected, sandbox_album, sandbox_users, seed
from core.db import transaction
from core.models import FanLink, PreSave, PreSaveStatus
from core.services import drop_day, funnel_events
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.funnel_helpers import events_of
from workers.fanout import _save_run


def test_each_fan_saved_on_drop_day_is_one_saved_event_with_its_market(
    drop_world: DropWorld,
) -> None:
    world, url = drop_world, drop_world.settings.database_url
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat(), "SE": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 4), expired=False,
                  market=["US", "SE"])  # fmt: skip
    with transaction(url) as session:  # one fan came from TikTok
        first = session.scalar(select(PreSave.fan_id).order_by(PreSave.id).limit(1))
        session.execute(update(FanLink).where(FanLink.fan_id == first).values(source="tiktok"))
    mark_detected(world.settings, seeded.campaign_id, ["US", "SE"])
    started = drop_day.start(url, seeded.campaign_id)
    out = drop_day.Outlets(queue=lambda _: None, tell=lambda _: None)
    run = _save_run(world.redis, world.settings)
    done = drop_day.save_chunk(url, seeded.campaign_id, started.presave_ids, run, out)
    assert done.saved == 4
    with transaction(url) as session:
        saved = events_of(session, "saved")
        fans = list(session.scalars(select(PreSave.fan_id).order_by(PreSave.id)))
    assert sorted(saved, key=lambda row: int(str(row[1]))) == [
        (seeded.campaign_id, fan, "sms", "tiktok" if fan == first else "sms", market, None)
        for fan, market in zip(fans, ["US", "SE", "US", "SE"], strict=True)
    ]


def test_only_saved_pre_saves_are_events_and_the_market_falls_back_to_the_fan(
    drop_world: DropWorld,
) -> None:
    world, url = drop_world, drop_world.settings.database_url
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 2), expired=False)
    with transaction(url) as session:
        ids = list(session.scalars(select(PreSave.id).order_by(PreSave.id)))
        session.execute(update(PreSave).where(PreSave.id == ids[0]).values(
            status=PreSaveStatus.SAVED, market=None))  # fmt: skip
        assert funnel_events.record_saved(session, ids) == 1
        assert [row[4] for row in events_of(session, "saved")] == ["US"]
    assert seeded.campaign_id
