"""Start an RQ worker (with its scheduler) on every queue, again after Redis comes back."""

from __future__ import annotations

import logging
import sys
import time

import redis
from rq.exceptions import StopRequested

from core import queues
from workers import (
    discord_jobs,
    entry,
    fanout,
    jobs,
    reconcile,
    release_jobs,
    schedule_jobs,
    send_jobs,
)
from workers.rq_worker import REDIS_DOWN, PresaveWorker

log = logging.getLogger(__name__)

# Every module a job function lives in. RQ forks a work horse per job and imports the job's
# module there; imported here, in the parent, each fork inherits them instead of importing
# them again.
JOB_MODULES = (entry, fanout, send_jobs, discord_jobs, schedule_jobs, release_jobs, reconcile, jobs)


# A fan-out job runs dozens of threads that mostly wait on sockets and on rate-limiter
# slots. Python hands the GIL over every 5 ms by default, so a thread whose slot has come
# can wait that long, and requests leave in bunches that go over the provider's rate in
# some second. At 1 ms they leave closer to their slot (the measured effect is within
# the benchmark's run-to-run spread: docs/benchmarks.md).
SWITCH_INTERVAL = 0.001
# Waits between tries to reach Redis again: short, so work resumes within seconds of its return.
RECONNECT_FIRST, RECONNECT_MAX = 0.25, PresaveWorker.max_connection_wait_time


def wait_for_redis(connection: redis.Redis, worker: PresaveWorker) -> bool:
    """Ping Redis with backoff until it answers (True) or the worker is told to stop."""
    delay = RECONNECT_FIRST
    while not worker.stop_asked:
        try:
            if connection.ping():
                return True
        except REDIS_DOWN:
            pass
        except StopRequested:  # SIGTERM while waiting: RQ's handler raises it when idle
            return False
        try:
            time.sleep(delay)
        except StopRequested:
            return False
        delay = min(delay * 2, RECONNECT_MAX)
    return False


def run_worker(connection: redis.Redis, *, burst: bool = False, name: str | None = None) -> bool:
    """Work the queues in priority order; with `burst`, stop when they are empty.

    A worker that ends without being told to (Redis went away under it) is started again
    once Redis answers, instead of taking the process down.
    """
    sys.setswitchinterval(SWITCH_INTERVAL)  # work horses inherit it when RQ forks them
    worked = False
    while True:
        worker = PresaveWorker(
            [queues.queue(n, connection) for n in queues.ALL],
            connection=connection,
            name=name,
            listen=not burst,
        )
        try:
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="INFO") or worked
        except REDIS_DOWN as exc:  # in start-up, before RQ's own clean-up is armed
            log.warning("worker %s: Redis unreachable (%s)", worker.name, exc)
            worker.teardown()
        except StopRequested:
            return worked
        if burst or worker.stop_asked:
            return worked
        log.warning("worker %s ended without a stop request; starting again", worker.name)
        if not wait_for_redis(connection, worker):
            return worked
