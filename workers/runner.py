"""Start an RQ worker (with its scheduler) on every queue."""

from __future__ import annotations

import importlib

import redis
from rq import Worker

from workers import queues

# Every module a job function lives in. RQ forks a work horse per job and imports the job's
# module there; importing them here first means each fork inherits them instead of paying
# the import (about a quarter of a drop-day worker's CPU when it was left to the horses).
JOB_MODULES = (
    "workers.fanout",
    "workers.send_jobs",
    "workers.release_jobs",
    "workers.reconcile",
    "workers.jobs",
)


def preload_job_modules() -> None:
    """Import every job module in this (parent) process."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def run_worker(connection: redis.Redis, *, burst: bool = False, name: str | None = None) -> bool:
    """Work the queues in priority order; with `burst`, stop when they are empty."""
    preload_job_modules()
    worker = Worker(
        [queues.queue(n, connection) for n in queues.ALL], connection=connection, name=name
    )
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
