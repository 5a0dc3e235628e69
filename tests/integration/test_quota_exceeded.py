"""Spotify's two 429s on drop day, against the sandbox stand-in: a rate-limit 429 pauses and
the save goes through; a quota 429 stops every save of the app, closes the waiting pre-saves
as `quota` with the reason, tells those fans with the release link and the artist in the
campaign's history, and never retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench.seed import mark_detected, sandbox_album, sandbox_users, seed
from core.db import transaction
from core.models import Artist, AuditEntry, Campaign, PreSave, PreSaveStatus, Team
from core.services.library import QUOTA_STOP_PREFIX
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from workers.fanout import start_drop
from workers.quota_stop import KEY

FANS = 30
RESET_IN = 7200  # the quota 429's Retry-After, seconds


def give_team(world: DropWorld, campaign_id: int) -> None:
    """The seeded artist belongs to a team (the history is the team's)."""
    with transaction(world.settings.database_url) as session:
        team = Team(name="Quota crew")
        session.add(team)
        session.flush()
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        artist = session.get(Artist, campaign.artist_id)
        assert artist is not None
        artist.team_id = team.id


def library_saves(world: DropWorld) -> int:
    stats = world.sandbox("GET", "stats")
    return int(stats["spotify"]["by_endpoint"].get("library_save", 0))


def test_a_quota_429_stops_saving_and_sends_the_release_link(drop_world: DropWorld) -> None:
    world = drop_world
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, FANS), expired=False)
    give_team(world, seeded.campaign_id)
    world.sandbox(
        "POST", "faults",
        json={"kind": "quota", "service": "spotify", "endpoint": "library_save", "count": 1,
              "retry_after_s": RESET_IN},
    )  # fmt: skip
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    # One save at a time: the quota 429 answers the first save, so what follows is exact.
    # (With a pool, the saves already sent when the 429 came back may finish, and how many
    # that is depends on the machine's load; which is why this test does not use one.)
    world.env["PRESAVE_FANOUT_THREADS"] = "1"
    world.start_worker()

    def settled() -> bool:
        counts = world.presave_counts()
        final = counts.get(PreSaveStatus.SAVED, 0) + counts.get(PreSaveStatus.QUOTA, 0)
        return final == FANS and world.sent_count() == FANS

    world.wait_until(settled, what="every pre-save final and every fan told")
    counts = world.presave_counts()
    assert counts == {PreSaveStatus.QUOTA: FANS}  # nothing started after the 429
    assert library_saves(world) == 1
    stats = world.sandbox("GET", "stats")["spotify"]
    assert stats["by_status"].get("429") == 1  # one quota 429, no retry storm

    with transaction(world.settings.database_url) as session:
        closed = list(session.scalars(select(PreSave).where(PreSave.status == "quota")))
        assert all((p.last_error or "").startswith(QUOTA_STOP_PREFIX) for p in closed)
        assert all(p.next_attempt_at is None for p in closed)
        notes = list(
            session.scalars(select(AuditEntry).where(AuditEntry.campaign_id == seeded.campaign_id))
        )
    assert [n.action for n in notes] == ["spotify_quota_exceeded"]
    assert "QUOTA_EXCEEDED" in notes[0].detail

    until = float(world.redis.get(KEY) or 0)
    expected = (datetime.now(UTC) + timedelta(seconds=RESET_IN)).timestamp()
    assert abs(until - expected) < 120  # stopped until the stated reset
    texts = {m["to"]: m["body"] for m in world.sandbox("GET", "messages")["messages"]}
    listen = [body for body in texts.values() if "Listen now on Spotify" in body]
    assert len(listen) == counts[PreSaveStatus.QUOTA]
    assert all("open.spotify.com" in b or "/r/" in b for b in listen)
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}

    # A drop started later (another campaign's, or this one again) makes no request.
    before = library_saves(world)
    start_drop(world.redis, seeded.campaign_id)
    world.wait_until(lambda: world.sent_count() == FANS, what="nothing more to send")
    assert library_saves(world) == before


def test_a_rate_limit_429_pauses_and_the_save_goes_through(drop_world: DropWorld) -> None:
    world = drop_world
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 5), expired=False)
    world.sandbox(
        "POST", "faults",
        json={"kind": "429", "service": "spotify", "endpoint": "library_save", "count": 1,
              "retry_after_s": 1},
    )  # fmt: skip
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(lambda: world.all_saved_and_sent(5), what="all saved after the pause")
    assert world.redis.get(KEY) is None  # not a quota stop
    with transaction(world.settings.database_url) as session:
        assert session.scalar(select(AuditEntry.id)) is None
