"""Queueing work: chunks of ids as jobs of a kind of send (workers.send_kinds), each chunk
queued once while its job is live, now or after a delay.

Jobs take ids and reload their rows; claims in the database decide who works on what, so a
chunk queued twice only finds nothing left to claim the second time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from core import queues
from core.timeutil import utcnow
from workers.send_kinds import KINDS

ENDED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
RESULT_TTL, FAILURE_TTL = 600, 86400  # how long an ended job is kept to look at


def _chunks(ids: Sequence[int], size: int, ramp: Sequence[float] = ()) -> list[list[int]]:
    """Chunks of `size` ids; the first ones grow by the fractions of `ramp` up to `size`."""
    chunks, start = [], 0
    for fraction in ramp:
        if start >= len(ids):
            break
        step = max(1, int(size * fraction))
        chunks.append(list(ids[start : start + step]))
        start += step
    return chunks + [list(ids[i : i + size]) for i in range(start, len(ids), size)]


def _ended(connection: redis.Redis, job_id: str) -> bool:
    """Whether the job with this id is over (then removed, its id free again)."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return True
    if job.get_status(refresh=False) not in ENDED:
        return False
    job.delete()
    return True


def enqueue_once(
    queue: Queue, func: Callable[..., object], args: tuple[object, ...], job_id: str,
    delay: float = 0.0,
) -> bool:  # fmt: skip
    """Queue `func(*args)` as job `job_id` (after `delay` seconds) unless a live job has that
    id. RQ's unique enqueue checks and saves in one step, so two callers racing queue it
    once; a job under that id that has ended is replaced."""
    for _ in range(2):
        try:
            if delay > 0:
                job = queue.create_job(
                    func, args=args, job_id=job_id, status=JobStatus.SCHEDULED,
                    result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                )  # fmt: skip
                at = datetime.now(UTC) + timedelta(seconds=delay)
                queue.schedule_job(job, at, unique=True)
            else:
                queue.enqueue(
                    func, *args, job_id=job_id, unique=True,
                    result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                )  # fmt: skip
            return True
        except DuplicateJobError:
            if not _ended(queue.connection, job_id):
                return False
    return False


def enqueue(
    connection: redis.Redis,
    kind: str,
    ids: Sequence[int],
    delay: float = 0.0,
    lead: tuple[object, ...] = (),
) -> int:
    """Queue the jobs of `kind` over `ids` (`job(*lead, chunk)` each, or `job(id)` for a kind
    sent one by one); how many were queued. Job ids name the chunk and its time."""
    send = KINDS[kind]
    queue, stamp = queues.queue(send.queue, connection), int(time.time() + delay)
    name = "-".join([send.name, *map(str, lead)])
    ids = sorted(ids)
    if send.chunk == 1:
        return sum(enqueue_once(queue, send.job, (i,), f"{name}-{i}-{stamp}", delay) for i in ids)
    return sum(
        enqueue_once(queue, send.job, (*lead, c), f"{name}-{c[0]}-{c[-1]}-{len(c)}-{stamp}", delay)
        for c in _chunks(ids, send.chunk, send.ramp)
    )


def enqueue_by_channel(
    connection: redis.Redis, by_channel: Mapping[str, Sequence[int]], delay: float = 0.0
) -> int:
    """Send jobs for delivery ids grouped by channel, each on its channel's queue (a channel
    no worker sends yet keeps its rows queued for later)."""
    return sum(enqueue(connection, ch, ids, delay) for ch, ids in by_channel.items() if ch in KINDS)


# Names the fan-out and release jobs use.
def enqueue_saves(
    connection: redis.Redis, campaign_id: int, presave_ids: Sequence[int], delay: float = 0.0
) -> int:
    """Save jobs over chunks of a campaign's pre-save ids."""
    return enqueue(connection, "save", presave_ids, delay, lead=(campaign_id,))


def enqueue_sends(
    connection: redis.Redis, delivery_ids: Sequence[int], delay: float = 0.0, channel: str = "sms"
) -> int:
    """Send jobs over delivery ids of one channel."""
    return enqueue(connection, channel, delivery_ids, delay)


def enqueue_posts(connection: redis.Redis, post_ids: Sequence[int], delay: float = 0.0) -> int:
    """Jobs posting these Discord announcements."""
    return enqueue(connection, "post", post_ids, delay)


def enqueue_outbound(connection: redis.Redis, text_ids: Sequence[int], delay: float = 0.0) -> int:
    """One job per outbox text."""
    return enqueue(connection, "text", text_ids, delay)


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
