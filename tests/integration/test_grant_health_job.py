"""The hourly grant-health job marks fans whose refresh token dies before the release."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job
from sqlalchemy import select, update

from bench.seed import sandbox_users, seed
from core import queues
from core.db import transaction
from core.models import Campaign, Delivery, ScheduledMessage, SpotifyGrant
from core.models.spotify import GrantStatus
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from workers import jobs


def test_job_on_a_real_worker_marks_grants_that_die_before_the_release(
    drop_world: DropWorld,
) -> None:
    world = drop_world
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 3))
    with transaction(world.settings.database_url) as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == seeded.campaign_id)
            .values(release_at=utcnow() + timedelta(days=6))
        )
        first, second, third = session.scalars(select(SpotifyGrant.id).order_by(SpotifyGrant.id))
        # dies in 3 days (before the release), already dead, and healthy
        session.execute(
            update(SpotifyGrant)
            .where(SpotifyGrant.id == first)
            .values(authorized_at=utcnow() - timedelta(days=180))
        )
        session.execute(
            update(SpotifyGrant)
            .where(SpotifyGrant.id == second)
            .values(authorized_at=utcnow() - timedelta(days=200))
        )
    job = queues.queue(queues.PERIODIC, world.redis).enqueue(jobs.grant_health)
    world.start_worker(burst=True).wait(timeout=120)
    assert Job.fetch(job.id, connection=world.redis).return_value() == {
        "expired": 1,
        "asked": 2,
    }, world.tail()
    with transaction(world.settings.database_url) as session:
        rows = {
            g.id: (g.status, g.reconnect_requested_at is not None)
            for g in session.scalars(select(SpotifyGrant))
        }
    assert rows[first] == (GrantStatus.ACTIVE, True)
    assert rows[second] == (GrantStatus.NEEDS_RECONNECT, True)
    assert rows[third] == (GrantStatus.ACTIVE, False)
    with transaction(world.settings.database_url) as session:
        asks = session.execute(
            select(Delivery.fan_id, Delivery.status)
            .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
            .where(ScheduledMessage.kind == "reconnect")
        ).all()
        dying = set(session.scalars(select(SpotifyGrant.fan_id).where(SpotifyGrant.id != third)))
    assert {fan for fan, _ in asks} == dying and len(asks) == 2
    world.wait_until(lambda: world.sent_count() + world.delivery_counts().get("held", 0) == 2,
                     what="the asks sent (or held for quiet hours)")  # fmt: skip
    for body in (m["body"] for m in world.sandbox("GET", "messages")["messages"]):
        assert "reconnect" in body and "https://presave.example.test/p/" in body

    # The next hourly run asks nobody again.
    again = queues.queue(queues.PERIODIC, world.redis).enqueue(jobs.grant_health)
    world.start_worker(burst=True).wait(timeout=120)
    assert Job.fetch(again.id, connection=world.redis).return_value() == {"expired": 0, "asked": 0}
