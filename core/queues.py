"""Every RQ queue name and job timeout in one place.

In `core` because the web app queues jobs too (the phone opt-in's confirmation text) and
imports point inward.
"""

from __future__ import annotations

import redis
from rq import Queue

DEFAULT = "default"
SAVES = "saves"
MESSAGES = "messages"
PERIODIC = "periodic"
# Order is priority: a worker takes periodic ticks before bulk fan-out work.
ALL = (PERIODIC, MESSAGES, SAVES, DEFAULT)
TIMEOUTS = {DEFAULT: 300, SAVES: 900, MESSAGES: 600, PERIODIC: 120}
# The job that sends one outbox text, queued by the web app and by reconcile.
SEND_OUTBOUND = "workers.send_jobs.send_outbound"


def queue(name: str, connection: redis.Redis) -> Queue:
    """The RQ queue `name` on `connection`, with its default timeout."""
    if name not in TIMEOUTS:
        raise ValueError(f"unknown queue {name!r}; known: {', '.join(ALL)}")
    return Queue(name, connection=connection, default_timeout=TIMEOUTS[name])
