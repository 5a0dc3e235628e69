"""The save job's notifier: batches sent beside the saves, failures handed to the queue."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import redis
from rq import Queue

from core import queues
from core.settings import Settings
from workers import entry
from workers.fanout import NOTIFY_BATCH, Notifier
from workers.runner import JOB_MODULES
from workers.schedule import SCHEDULE
from workers.send_kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_notifier_sends_every_delivery_once_in_batches(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    sent: list[list[int]] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def record(_settings: Settings, _connection: redis.Redis, ids: list[int]) -> dict[str, int]:
        with lock:
            sent.append(list(ids))
            threads.add(threading.current_thread().name)
        return {"sent": len(ids)}

    ids = list(range(1, 2 * NOTIFY_BATCH + 8))
    with Notifier(settings, redis_conn, send=record) as notifier:
        for start in range(0, len(ids), 10):
            notifier.add({"sms": ids[start : start + 10]})
    assert sorted(i for batch in sent for i in batch) == ids, "each delivery once"
    assert all(len(batch) >= NOTIFY_BATCH for batch in sent[:-1])
    assert len(sent[-1]) == 7 or len(sent[-1]) >= NOTIFY_BATCH, "the rest goes at the end"
    assert threads and all(name.startswith("notify") for name in threads), threads


def test_a_batch_that_cannot_be_sent_is_queued_as_send_jobs(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    def broken(_settings: Settings, _connection: redis.Redis, ids: list[int]) -> dict[str, int]:
        raise RuntimeError("database locked")

    ids = list(range(1000, 1000 + NOTIFY_BATCH + 3))
    with Notifier(settings, redis_conn, send=broken) as notifier:
        notifier.add({"sms": ids})
    queued = Queue(queues.MESSAGES, connection=redis_conn).get_jobs()
    assert {job.func for job in queued} == {entry.send_chunk}
    assert sorted(i for job in queued for i in job.args[0]) == ids


def test_every_job_function_module_is_preloaded_before_forking() -> None:
    """RQ forks a work horse per job; a job module the worker did not import first is
    imported again in every horse. Jobs are named by import: the registry's, the clock's,
    and the modules workers.entry hands each job to."""
    preloaded = {module.__name__ for module in JOB_MODULES}
    named = {kind.job.__module__ for kind in KINDS.values()}
    named |= {item.func.__module__ for item in SCHEDULE}
    named |= set(re.findall(r"from (workers\.\w+) import", (ROOT / "workers/entry.py").read_text()))
    assert "workers.send_jobs" in named
    assert named <= preloaded, named - preloaded
