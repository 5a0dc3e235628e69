"""All periodic work, in one table."""

from __future__ import annotations

from dataclasses import dataclass

from core import queues


@dataclass(frozen=True)
class Periodic:
    """A job the clock enqueues every `every` seconds."""

    name: str
    func: str
    every: float
    queue: str = queues.PERIODIC


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("heartbeat", "workers.jobs.heartbeat", every=30),
    Periodic("reconcile", "workers.reconcile.reconcile", every=60),
    Periodic("grant-health", "workers.jobs.grant_health", every=3600),
    Periodic("release-watch", "workers.release_jobs.watch_tick", every=20),
    Periodic("countdown", "workers.schedule_jobs.due_tick", every=15),
    # Inbound texts kept in Redis while the database could not be written.
    Periodic("inbound-kept", "workers.jobs.replay_inbound", every=10),
)
