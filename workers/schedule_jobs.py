"""Countdown messages: the clock's tick finds the due ones, a planning job makes their
deliveries chunk by chunk and queues their sending as it goes."""

from __future__ import annotations

import logging

from rq import get_current_job

from core import queues
from core.db import transaction
from core.services import broadcast
from core.settings import load_settings
from core.timeutil import utcnow
from workers.enqueue import enqueue_by_channel, enqueue_once

log = logging.getLogger(__name__)


def due_tick() -> dict[str, int]:
    """Queue a planning job for each due message; mark finished ones done."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "due_tick runs inside an RQ job"
    with transaction(settings.database_url) as session:
        due = broadcast.due(session, utcnow())
        finished = broadcast.finish(session)
    queue = queues.queue(queues.MESSAGES, job.connection)
    planned = sum(
        enqueue_once(queue, plan_message, (message_id,), f"plan-{message_id}") for message_id in due
    )
    return {"due": len(due), "planning": planned, "done": finished}


def plan_message(message_id: int) -> dict[str, int]:
    """Make a message's deliveries (one per consenting fan and channel) and queue them."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "plan_message runs inside an RQ job"
    after: int | None = 0
    made = 0
    while after is not None:
        with transaction(settings.database_url) as session:
            created, after = broadcast.plan_chunk(session, message_id, after)
        enqueue_by_channel(job.connection, created)
        made += sum(len(ids) for ids in created.values())
    log.info("message %s: %d deliveries made", message_id, made)
    return {"deliveries": made}
