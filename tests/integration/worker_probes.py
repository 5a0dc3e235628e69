"""Job functions the worker tests enqueue: they report what the worker process looks like."""

from __future__ import annotations

import time
from pathlib import Path

from rq import get_current_job


def command_listeners() -> int:
    """How many clients listen on the command channel of the worker running this job."""
    job = get_current_job()
    assert job is not None and job.worker_name
    [(_channel, count)] = job.connection.pubsub_numsub(f"rq:pubsub:{job.worker_name}")
    return int(count)


def hold_until(started: str, release: str, limit: float = 30.0) -> str:
    """Mark that the job runs, then wait (at most `limit` seconds) for `release` to exist."""
    Path(started).touch()
    deadline = time.monotonic() + limit
    while not Path(release).exists():
        if time.monotonic() > deadline:
            return "not released"
        time.sleep(0.02)
    return "released"
