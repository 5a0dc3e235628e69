"""Start an RQ worker (with its scheduler) on every queue."""

from __future__ import annotations

import importlib
import sys

import redis
from rq import Worker

from core import queues

# Every module a job function lives in. RQ forks a work horse per job and imports the job's
# module there; importing them here first means each fork inherits them instead of
# importing them again.
JOB_MODULES = (
    "workers.fanout",
    "workers.send_jobs",
    "workers.discord_jobs",
    "workers.schedule_jobs",
    "workers.release_jobs",
    "workers.reconcile",
    "workers.jobs",
)


# A fan-out job runs dozens of threads that mostly wait on sockets and on rate-limiter
# slots. Python hands the GIL over every 5 ms by default, so a thread whose slot has come
# can wait that long, and requests leave in bunches that go over the provider's rate in
# some second. At 1 ms they leave closer to their slot. (Drop benchmark, 20,000 fans: the
# Twilio 429s fell from 11-28 to 0-9 in the first two runs and came back to 14-34 in three
# later ones: no gain shown beyond the run-to-run spread; kept for the mechanism.)
SWITCH_INTERVAL = 0.001


def preload_job_modules() -> None:
    """Import every job module in this (parent) process."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def run_worker(connection: redis.Redis, *, burst: bool = False, name: str | None = None) -> bool:
    """Work the queues in priority order; with `burst`, stop when they are empty."""
    preload_job_modules()
    sys.setswitchinterval(SWITCH_INTERVAL)  # work horses inherit it when RQ forks them
    worker = Worker(
        [queues.queue(n, connection) for n in queues.ALL], connection=connection, name=name
    )
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
