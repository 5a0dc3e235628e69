"""Job functions: thin, take ids and plain values, call one service."""

from __future__ import annotations

from rq import get_current_job

from core.timeutil import utcnow

HEARTBEAT_KEY = "presave:heartbeat"


def heartbeat() -> str:
    """Record that a worker is alive and taking periodic jobs; return the time written."""
    job = get_current_job()
    now = utcnow().isoformat()
    if job is not None:
        job.connection.set(HEARTBEAT_KEY, now, ex=600)
    return now
