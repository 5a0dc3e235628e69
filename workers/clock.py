"""The clock: enqueues periodic jobs from the schedule; only one runs at a time."""

from __future__ import annotations

import logging
import socket
import threading
import time

import redis

from core import queues
from workers.schedule import SCHEDULE, Periodic

log = logging.getLogger(__name__)
LOCK_KEY = "presave:clock:lock"
LOCK_TTL = 30


def due(item: Periodic, last_run: dict[str, float], now: float) -> bool:
    """Whether `item` should be enqueued at `now`."""
    return now - last_run.get(item.name, float("-inf")) >= item.every


def tick(connection: redis.Redis, last_run: dict[str, float], now: float) -> list[str]:
    """Enqueue every due job once (deterministic ids: a tick never doubles up)."""
    enqueued = []
    for item in SCHEDULE:
        if not due(item, last_run, now):
            continue
        job_id = f"periodic-{item.name}-{int(now // item.every)}"
        queues.queue(item.queue, connection).enqueue(
            item.func, job_id=job_id, result_ttl=300, failure_ttl=3600
        )
        last_run[item.name] = now
        enqueued.append(job_id)
    return enqueued


def _hold_lock(connection: redis.Redis, token: str) -> bool:
    """Take or renew the single-clock lock."""
    if connection.set(LOCK_KEY, token, nx=True, ex=LOCK_TTL):
        return True
    if connection.get(LOCK_KEY) == token.encode():
        connection.expire(LOCK_KEY, LOCK_TTL)
        return True
    return False


def run(connection: redis.Redis, stop: threading.Event, interval: float = 1.0) -> None:
    """Tick until `stop` is set; stand by while another clock holds the lock."""
    token = f"{socket.gethostname()}:{time.time_ns()}"
    last_run: dict[str, float] = {}
    log.info("clock started")
    while not stop.is_set():
        try:
            if _hold_lock(connection, token):
                for job_id in tick(connection, last_run, time.time()):
                    log.debug("enqueued %s", job_id)
        except redis.RedisError as exc:
            log.warning("clock: redis unavailable (%s); retrying", exc)
        stop.wait(interval)
    if connection.get(LOCK_KEY) == token.encode():
        connection.delete(LOCK_KEY)
