"""A text held by quiet hours is queued again for the moment its window opens, by the send
job itself (not left for reconcile's next pass)."""

from __future__ import annotations

from datetime import UTC, timedelta

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from core import queues
from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts
from workers.send_jobs import send_deliveries
from workers.send_kinds import KINDS


def night_zone() -> str:
    """An Etc/GMT zone where it is around 03:00 now (outside every window)."""
    offset = (3 - utcnow().astimezone(UTC).hour + 12) % 24 - 12  # hours east of UTC
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def test_a_held_text_is_queued_for_its_window(drop_world: DropWorld) -> None:
    world = drop_world
    seeded, ids = drop_alerts(world.settings, world, 2)
    with transaction(world.settings.database_url) as session:
        session.execute(
            update(Fan).where(Fan.phone_e164 == seeded.phones[0]).values(timezone=night_zone())
        )
    counts = send_deliveries(world.settings, world.redis, ids)
    assert counts.get("sent") == 1, counts
    with transaction(world.settings.database_url) as session:
        held = session.execute(
            select(Delivery.id, Delivery.not_before).where(Delivery.status == DeliveryStatus.HELD)
        ).all()
    assert len(held) == 1 and held[0].not_before is not None
    opens = held[0].not_before
    assert timedelta(hours=3) < opens - utcnow() < timedelta(hours=7)  # 08:00 or 09:00 there
    queue = queues.queue(KINDS["sms"].queue, world.redis)
    registry = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]
    jobs = [queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    chunks = [(job, registry.get_scheduled_time(job)) for job in jobs if job is not None]
    assert [job.args[-1] for job, _ in chunks] == [[held[0].id]]
    at = chunks[0][1].replace(tzinfo=UTC)
    assert timedelta(0) <= at - opens <= timedelta(seconds=3)  # at the opening, a second after
