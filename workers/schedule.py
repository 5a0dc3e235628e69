"""All periodic work, in one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core import queues
from workers import jobs, reconcile, release_jobs, schedule_jobs


@dataclass(frozen=True)
class Periodic:
    """A job the clock enqueues every `every` seconds."""

    name: str
    func: Callable[[], object]
    every: float
    queue: str = queues.PERIODIC


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("heartbeat", jobs.heartbeat, every=30),
    Periodic("reconcile", reconcile.reconcile, every=60),
    Periodic("grant-health", jobs.grant_health, every=3600),
    Periodic("release-watch", release_jobs.watch_tick, every=20),
    Periodic("countdown", schedule_jobs.due_tick, every=15),
    # Inbound texts kept in Redis while the database could not be written.
    Periodic("inbound-kept", jobs.replay_inbound, every=10),
)
