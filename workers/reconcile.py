"""Reconcile: the database is the truth; queue again whatever Redis lost or a dead worker held."""

from __future__ import annotations

import logging
from datetime import timedelta

from rq import get_current_job
from sqlalchemy import select

from core import queues
from core.db import transaction
from core.models import Campaign, CampaignStatus, Fan
from core.providers import twilio_sms
from core.services import notify
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.enqueue import enqueue_sends
from workers.fanout import start_drop

log = logging.getLogger(__name__)


def _settle_stuck(settings: Settings) -> dict[str, int]:
    """Deliveries left `sending`: ask Twilio whether they went out before sending again."""
    counts = {"settled_sent": 0, "requeued": 0}
    lease = timedelta(seconds=settings.sending_lease_seconds)
    with transaction(settings.database_url) as session:
        stuck = notify.stuck_sending(session, lease)
        rows = [(d.id, d.updated_at, session.get(Fan, d.fan_id)) for d in stuck]
    if not rows:
        return counts
    twilio = twilio_sms.sdk_client(settings)
    for delivery_id, claimed_at, fan in rows:
        phone = fan.phone_e164 if fan is not None else None
        sid = (
            twilio_sms.find_sent(twilio, phone, claimed_at - timedelta(seconds=5))
            if phone
            else None
        )
        with transaction(settings.database_url) as session:
            if sid is not None:
                notify.mark_sent(session, delivery_id, sid)
                counts["settled_sent"] += 1
            else:
                notify.retry_later(session, delivery_id, 0, "worker lost before sending")
                counts["requeued"] += 1
    return counts


def reconcile() -> dict[str, int]:
    """Re-plan detected drops and re-queue due deliveries when their queues are empty."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "reconcile runs inside an RQ job"
    connection = job.connection
    counts: dict[str, int] = {}
    with transaction(settings.database_url) as session:
        campaign_ids = list(
            session.scalars(
                select(Campaign.id).where(
                    Campaign.detected_at.is_not(None), Campaign.status == CampaignStatus.OPEN
                )
            )
        )
    if queues.queue(queues.SAVES, connection).count == 0:
        counts["presaves_queued"] = sum(start_drop(connection, cid) for cid in campaign_ids)
    try:
        counts.update(_settle_stuck(settings))
    except twilio_sms.SmsError as exc:
        log.warning("reconcile: cannot settle stuck deliveries: %s", exc)
    if queues.queue(queues.MESSAGES, connection).count == 0:
        with transaction(settings.database_url) as session:
            due = notify.due(session)
        counts["deliveries_queued"] = enqueue_sends(connection, due)
    counts["at"] = int(utcnow().timestamp())
    return counts
