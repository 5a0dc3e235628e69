"""Each Spotify failure kind, injected at the HTTP level, meets its own fate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bench.seed import ALBUM_ID, ARTIST_ID, mark_detected, sandbox_album, sandbox_users, seed
from core.db import transaction
from core.models import Delivery, Fan, PreSave, PreSaveStatus, SpotifyGrant
from core.models.spotify import GrantStatus
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from workers.fanout import start_drop


def statuses(world: DropWorld) -> dict[str, str]:
    """Pre-save status by Spotify user id."""
    with transaction(world.settings.database_url) as session:
        rows = session.execute(
            select(SpotifyGrant.spotify_user_id, PreSave.status).join(
                PreSave, PreSave.fan_id == SpotifyGrant.fan_id
            )
        )
        return {user: str(status) for user, status in rows}


def bodies(world: DropWorld) -> dict[str, str]:
    return {m["to"]: m["body"] for m in world.sandbox("GET", "messages")["messages"]}


def fault(world: DropWorld, **rule: object) -> None:
    world.sandbox("POST", "faults", json=rule)


def test_each_failure_kind_has_its_own_fate(drop_world: DropWorld) -> None:
    world = drop_world
    world.sandbox("POST", "config", json={"dev_mode": True})
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    grants = sandbox_users(world.sandbox_url, 8) + sandbox_users(
        world.sandbox_url, 1, allowlisted=False
    )
    seeded = seed(world.settings, grants, expired=True)
    users, phones = seeded.spotify_users, seeded.phones
    unavailable, refused, revoked, limited, _, _, _, _, quota = users
    fault(
        world, kind="503", service="spotify", endpoint="library_save", subject=unavailable, count=2
    )
    fault(world, kind="401", service="spotify", endpoint="library_save", subject=refused, count=1)
    fault(
        world, kind="invalid_grant", service="accounts", endpoint="token", subject=revoked, count=2
    )
    fault(world, kind="429", service="spotify", endpoint="library_save", subject=limited, count=1)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()

    def settled() -> bool:
        now = statuses(world)
        return now[revoked] == "pending" and sum(s == "saved" for s in now.values()) == 7

    world.wait_until(settled, what="first pass")
    now = statuses(world)
    assert now[quota] == PreSaveStatus.QUOTA
    for user in (unavailable, refused, limited):
        assert now[user] == PreSaveStatus.SAVED, user
        assert f"spotify:album:{ALBUM_ID}" in world.sandbox("GET", f"users/{user}")["saved"]

    # One invalid_grant is not enough: the grant is still active and nobody was told yet.
    with transaction(world.settings.database_url) as session:
        grant = session.scalar(select(SpotifyGrant).where(SpotifyGrant.spotify_user_id == revoked))
        assert grant is not None and grant.status == GrantStatus.ACTIVE
        presave = session.scalar(select(PreSave).where(PreSave.fan_id == grant.fan_id))
        assert presave is not None and presave.revoked_seen_at is not None
        assert presave.next_attempt_at is not None
        assert presave.next_attempt_at - utcnow() > timedelta(minutes=4)
        fan_id = grant.fan_id
        # Five minutes pass.
        session.execute(
            update(PreSave)
            .where(PreSave.id == presave.id)
            .values(revoked_seen_at=utcnow() - timedelta(minutes=6), next_attempt_at=utcnow())
        )
    start_drop(world.redis, seeded.campaign_id)
    world.wait_until(
        lambda: (
            statuses(world)[revoked] == PreSaveStatus.NEEDS_RECONNECT
            and world.delivery_counts().get("sent", 0) == 9
        ),
        what="second invalid_grant and every fan told",
    )
    with transaction(world.settings.database_url) as session:
        grant = session.scalar(select(SpotifyGrant).where(SpotifyGrant.fan_id == fan_id))
        assert grant is not None and grant.status == GrantStatus.NEEDS_RECONNECT
        phone = session.scalar(select(Fan.phone_e164).where(Fan.id == fan_id))
        assert len(list(session.scalars(select(Delivery.id)))) == 9
    texts = bodies(world)
    assert "reconnect Spotify at https://presave.example.test/p/" in texts[str(phone)]
    quota_phone = phones[users.index(quota)]
    assert "Listen now on Spotify" in texts[quota_phone]
    assert "saved in your Spotify library" in texts[phones[users.index(limited)]]
    assert world.messages_by_number() == {p: 1 for p in phones}


def test_library_refusing_artists_falls_back_to_following(drop_world: DropWorld) -> None:
    world = drop_world
    world.sandbox("POST", "config", json={"library_accepts_artists": False})
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 3), expired=False)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker(burst=True)
    world.wait_until(lambda: world.all_saved_and_sent(3), what="saved via fallback")
    for user in seeded.spotify_users:
        state = world.sandbox("GET", f"users/{user}")
        assert f"spotify:album:{ALBUM_ID}" in state["saved"] and ARTIST_ID in state["follows"]


def test_shared_limiter_keeps_429s_rare_under_a_tight_cap(drop_world: DropWorld) -> None:
    world = drop_world
    world.sandbox("POST", "config", json={"spotify_rps": 40})
    world.env["SPOTIFY_MAX_RPS"] = "40"
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 60), expired=True)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.start_worker()
    world.wait_until(lambda: world.all_saved_and_sent(60), timeout=120, what="all saved")
    stats = world.sandbox("GET", "stats")["spotify"]
    assert stats["requests"] >= 60  # 60 saves (+ follows ride along in the same call)
    assert stats["rate_limited"] <= stats["requests"] * 0.05, stats
