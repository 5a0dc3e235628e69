"""Start an RQ worker (with its scheduler) on every queue."""

from __future__ import annotations

import redis
from rq import Worker

from workers import queues


def run_worker(connection: redis.Redis, *, burst: bool = False, name: str | None = None) -> bool:
    """Work the queues in priority order; with `burst`, stop when they are empty."""
    worker = Worker(
        [queues.queue(n, connection) for n in queues.ALL], connection=connection, name=name
    )
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
