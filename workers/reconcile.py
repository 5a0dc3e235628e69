"""Reconcile: the database is the truth; queue again whatever Redis lost or a dead worker held."""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
from rq import get_current_job

from core import queues
from core.db import transaction
from core.providers import ProviderError, twilio_sms
from core.services import discord_interactions, drop_day, send_state
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.enqueue import enqueue
from workers.fanout import start_drop
from workers.find_sent import NotNow
from workers.send_kinds import KINDS, SendKind

log = logging.getLogger(__name__)
LOOKUP_ERRORS = (ProviderError, twilio_sms.SmsError)


def _settle_kind(
    settings: Settings, connection: redis.Redis, kind: SendKind, lease: timedelta
) -> dict[str, int]:
    """Rows of one kind left `sending`: sent if the provider has that very message, else
    queued again. A row the provider cannot be asked about now stays for the next round."""
    if kind.rows is None or kind.find_sent is None:
        return {}
    with transaction(settings.database_url) as session:
        stuck = send_state.stuck(session, kind.rows, lease)
    find = kind.find_sent(settings, connection) if stuck else None
    if find is None:
        return {}
    sent = requeued = 0
    try:
        for row_id, claimed_at in stuck:
            try:
                found = find(row_id, claimed_at)
            except LOOKUP_ERRORS as exc:
                log.warning("reconcile: cannot look up %s %s now: %s", kind.name, row_id, exc)
                continue
            with transaction(settings.database_url) as session:
                if found:
                    send_state.mark_sent(session, kind.rows, [(row_id, found)])
                else:
                    send_state.retry_later(session, kind.rows, row_id, 0, send_state.LOST)
            sent, requeued = sent + bool(found), requeued + (not found)
    except NotNow:
        log.info("reconcile: %s lookups paused; the rest waits for the next round", kind.name)
    return {f"{kind.name}_settled_sent": sent, f"{kind.name}_requeued": requeued}


def settle_stuck(
    settings: Settings, connection: redis.Redis, lease: timedelta | None = None
) -> dict[str, int]:
    """Every kind's rows left `sending` longer than `lease` (SENDING_LEASE_SECONDS): ask
    the provider whether they went out before anything is sent again."""
    lease = lease or timedelta(seconds=settings.sending_lease_seconds)
    counts: dict[str, int] = {}
    for kind in KINDS.values():
        try:
            counts.update(_settle_kind(settings, connection, kind, lease))
        except LOOKUP_ERRORS as exc:  # not configured, or down
            log.warning("reconcile: cannot settle stuck %s rows: %s", kind.name, exc)
    return counts


def _queue_due(settings: Settings, connection: redis.Redis) -> dict[str, int]:
    """Due rows of every kind whose queue is empty (a lost job, a flushed Redis)."""
    counts: dict[str, int] = {}
    idle = {name for name in queues.ALL if queues.queue(name, connection).count == 0}
    for kind in KINDS.values():
        if kind.rows is None or kind.queue not in idle:
            continue
        with transaction(settings.database_url) as session:
            due = send_state.due(session, kind.rows)
        counts[f"{kind.name}_queued"] = enqueue(connection, kind.name, due)
    return counts


def _replan_drops(settings: Settings, connection: redis.Redis) -> dict[str, int]:
    """Plan the saves of detected drops again when the saves queue is empty."""
    if queues.queue(queues.SAVES, connection).count:
        return {}
    with transaction(settings.database_url) as session:
        campaign_ids = drop_day.detected_open_campaigns(session)
    return {"presaves_queued": sum(start_drop(connection, cid) for cid in campaign_ids)}


def reconcile() -> dict[str, int]:
    """Re-plan detected drops, settle what dead workers left `sending`, and queue again
    what is due when its queue is empty."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "reconcile runs inside an RQ job"
    counts = _replan_drops(settings, job.connection)
    counts.update(settle_stuck(settings, job.connection))
    counts.update(_queue_due(settings, job.connection))
    with transaction(settings.database_url) as session:
        discord_interactions.forget_old(session, utcnow())
    counts["at"] = int(utcnow().timestamp())
    return counts
