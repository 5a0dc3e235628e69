"""Drop day end to end: real Redis, real worker processes, sandbox Spotify and Twilio."""

from __future__ import annotations

from bench.seed import ALBUM_ID, ARTIST_ID, mark_detected, sandbox_album, sandbox_users, seed
from core.db import read_only
from core.models import Campaign
from core.services.campaigns import campaign_json
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from workers import reconcile
from workers.fanout import start_drop

FANS = 40


def live_now(world: DropWorld, markets: tuple[str, ...] = ("US",)) -> None:
    sandbox_album(world.sandbox_url, {m: utcnow().isoformat() for m in markets})


def test_every_fan_saved_followed_and_told_once(drop_world: DropWorld) -> None:
    world = drop_world
    live_now(world)
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, FANS), expired=True)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    assert start_drop(world.redis, seeded.campaign_id) == FANS
    world.start_worker()
    world.start_worker()
    world.wait_until(lambda: world.all_saved_and_sent(FANS), what="all saved and sent")
    for user_id in seeded.spotify_users[:5] + seeded.spotify_users[-5:]:
        user = world.sandbox("GET", f"users/{user_id}")
        assert f"spotify:album:{ALBUM_ID}" in user["saved"], user
        assert ARTIST_ID in user["follows"], user
    by_number = world.messages_by_number()
    assert by_number == {p: 1 for p in seeded.phones}
    message = world.sandbox("GET", "messages")["messages"][0]
    assert "is out now" in message["body"] and "saved in your Spotify library" in message["body"]
    # What the artist sees.
    with read_only(world.settings.database_url) as session:
        campaign = session.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        shown = campaign_json(session, campaign, world.settings.public_url)
    assert shown["counts"]["presaves"] == {"saved": FANS}
    assert shown["counts"]["deliveries"] == {"sent": FANS}
    pace = shown["drop"]["saves_per_minute"]
    assert sum(pace["by_minute"].values()) == FANS and pace["peak"] >= FANS / 2
    assert shown["drop"]["slowest_market"]["market"] == "US"
    assert shown["drop"]["slowest_market"]["saved"] == FANS
    # The whole fan-out again: nothing more is saved or sent.
    assert start_drop(world.redis, seeded.campaign_id) == 0
    world.run_job(reconcile.reconcile)
    world.wait_until(lambda: world.redis.llen("rq:queue:periodic") == 0, what="reconcile ran")
    assert world.messages_by_number() == by_number
