"""Queueing fan-out work: chunks of ids as jobs, unique by chunk, now or after a delay.

Jobs take ids and reload their rows; claims in the database decide who works on what, so a
chunk queued twice only finds nothing left to claim the second time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from core import queues
from core.timeutil import utcnow

SAVE_CHUNK = 2000
# The first save chunks grow to SAVE_CHUNK (a quarter, a half, three quarters, then whole
# ones), so workers that start a drop together end their jobs at different times: while one
# is between jobs (its last saves finishing, its fans told, the next job's claim) the others
# keep the shared Spotify budget busy, instead of every worker pausing at once.
SAVE_RAMP = (0.25, 0.5, 0.75)
SEND_CHUNK = 100
LIVE_STATES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def _ramped_chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """Chunks of ids whose first sizes follow SAVE_RAMP up to `size`."""
    chunks, start = [], 0
    for fraction in SAVE_RAMP:
        if start >= len(ids):
            break
        step = max(1, int(size * fraction))
        chunks.append(list(ids[start : start + step]))
        start += step
    return chunks + _chunks(ids[start:], size)


def enqueue_unique(
    connection: redis.Redis,
    queue_name: str,
    func: str,
    args: tuple[object, ...],
    job_id: str,
    delay: float = 0.0,
) -> bool:
    """Enqueue unless a live job with this id exists (a duplicate would only find no claims)."""
    try:
        existing = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=False) in LIVE_STATES:
        return False
    queue = queues.queue(queue_name, connection)
    options = {"job_id": job_id, "result_ttl": 600, "failure_ttl": 86400}
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), func, *args, **options)
    else:
        queue.enqueue(func, *args, **options)
    return True


def _enqueue_chunks(
    connection: redis.Redis,
    queue_name: str,
    func: str,
    chunks: list[list[int]],
    name: str,
    lead: tuple[object, ...],
    delay: float,
) -> int:
    """Queue `func(*lead, chunk)` for each chunk (job ids name the chunk and its time)."""
    count = 0
    stamp = int(time.time() + delay)
    for chunk in chunks:
        job_id = f"{name}-{chunk[0]}-{chunk[-1]}-{len(chunk)}-{stamp}"
        count += enqueue_unique(connection, queue_name, func, (*lead, chunk), job_id, delay)
    return count


def enqueue_saves(
    connection: redis.Redis, campaign_id: int, presave_ids: Sequence[int], delay: float = 0.0
) -> int:
    """Queue save jobs over chunks of pre-save ids; returns how many jobs were queued."""
    chunks = _ramped_chunks(sorted(presave_ids), SAVE_CHUNK)
    return _enqueue_chunks(
        connection, queues.SAVES, "workers.fanout.save_chunk", chunks, f"save-{campaign_id}",
        (campaign_id,), delay,
    )  # fmt: skip


def enqueue_sends(
    connection: redis.Redis, delivery_ids: Sequence[int], delay: float = 0.0, channel: str = "sms"
) -> int:
    """Queue send jobs over chunks of delivery ids of one channel, on that channel's queue."""
    chunks = _chunks(sorted(delivery_ids), SEND_CHUNK)
    queue = queues.SEND_QUEUES.get(channel, queues.MESSAGES)
    name = "send" if channel == "sms" else f"send-{channel}"
    return _enqueue_chunks(
        connection, queue, "workers.send_jobs.send_chunk", chunks, name, (), delay
    )


def enqueue_by_channel(
    connection: redis.Redis, by_channel: Mapping[str, Sequence[int]], delay: float = 0.0
) -> int:
    """`enqueue_sends` for delivery ids grouped by channel."""
    return sum(enqueue_sends(connection, ids, delay, ch) for ch, ids in by_channel.items())


def enqueue_posts(connection: redis.Redis, post_ids: Sequence[int], delay: float = 0.0) -> int:
    """Queue the job posting these Discord announcements (one per server: few, and prompt)."""
    if not post_ids:
        return 0
    chunks = _chunks(sorted(post_ids), SEND_CHUNK)
    return _enqueue_chunks(
        connection, queues.MESSAGES, queues.POST_ANNOUNCEMENTS, chunks, "post", (), delay
    )


def enqueue_grants(connection: redis.Redis, grant_ids: Sequence[int], delay: float = 0.0) -> int:
    """Queue pre-saver role grants on the Discord queue."""
    chunks = _chunks(sorted(grant_ids), SEND_CHUNK)
    return _enqueue_chunks(
        connection, queues.DISCORD, queues.GRANT_ROLES, chunks, "roles", (), delay
    )


def enqueue_outbound(connection: redis.Redis, text_ids: Sequence[int], delay: float = 0.0) -> int:
    """Queue one send job per outbox text (workers.send_jobs.send_outbound)."""
    stamp, func = int(time.time() + delay), queues.SEND_OUTBOUND
    count = 0
    for text_id in text_ids:
        job_id = f"text-{text_id}-{stamp}"
        count += enqueue_unique(connection, queues.MESSAGES, func, (text_id,), job_id, delay)
    return count


def enqueue_after(enqueue: Callable[[list[int], float], int], waits: Mapping[int, float]) -> None:
    """Queue each id again after its wait, one job per distinct whole second.

    One second is added: RQ's scheduler may run a delayed job up to a second early, and a
    job that comes before its rows are due finds nothing to claim.
    """
    groups: dict[int, list[int]] = {}
    for row_id, wait in waits.items():
        groups.setdefault(max(1, math.ceil(wait) + 1), []).append(row_id)
    for delay, ids in groups.items():
        enqueue(ids, float(delay))


def seconds_until(when: Mapping[int, datetime]) -> dict[int, float]:
    """Seconds from now until each time."""
    now = utcnow()
    return {row_id: (at - now).total_seconds() for row_id, at in when.items()}
