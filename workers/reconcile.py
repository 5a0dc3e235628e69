"""Reconcile: the database is the truth; queue again whatever Redis lost or a dead worker held."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from rq import get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import queues
from core.db import transaction
from core.models import Campaign, CampaignStatus
from core.providers import twilio_sms
from core.services import (
    compose,
    discord_announce,
    discord_interactions,
    discord_roles,
    notify,
    outbox,
)
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers import discord_jobs
from workers.enqueue import enqueue_by_channel, enqueue_grants, enqueue_outbound, enqueue_posts
from workers.fanout import start_drop

log = logging.getLogger(__name__)


Row = tuple[int, str | None, datetime]  # id, the number it went to, when it was claimed


def _ask_twilio(
    settings: Settings,
    rows: list[Row],
    body_of: Callable[[Session, int], str | None],
    mark_sent: Callable[[Session, int, str], None],
    requeue: Callable[[Session, int], object],
) -> tuple[int, int]:
    """For each row left `sending`: sent if Twilio has this very message (our sender, its
    words), else queued again."""
    if not rows:
        return 0, 0
    twilio = twilio_sms.client(settings)
    settled = requeued = 0
    for row_id, phone, claimed_at in rows:
        since = claimed_at - timedelta(seconds=5)
        with transaction(settings.database_url) as session:
            body = body_of(session, row_id)
        sid = None
        if phone and body is not None:
            sid = twilio_sms.find_sent(twilio, settings, phone, since, body)
        with transaction(settings.database_url) as session:
            if sid is not None:
                mark_sent(session, row_id, sid)
                settled += 1
            else:
                requeue(session, row_id)
                requeued += 1
    return settled, requeued


def settle_stuck(settings: Settings) -> dict[str, int]:
    """Deliveries and outbox texts left `sending`: ask Twilio whether they went out before
    sending again."""
    lease = timedelta(seconds=settings.sending_lease_seconds)
    with transaction(settings.database_url) as session:
        deliveries: list[Row] = notify.stuck_sending(session, lease)
        texts: list[Row] = list(outbox.stuck_sending(session, lease))
    lost = "worker lost before sending"
    url, program = settings.public_url, settings.program_name
    sent, requeued = _ask_twilio(
        settings, deliveries, lambda s, i: compose.text_as_claimed(s, i, url, program),
        notify.mark_sent, lambda s, i: notify.retry_later(s, i, 0, lost),
    )  # fmt: skip
    texts_sent, texts_requeued = _ask_twilio(
        settings, texts, outbox.body_of,
        outbox.mark_sent, lambda s, i: outbox.retry_later(s, i, 0, lost),
    )  # fmt: skip
    return {
        "settled_sent": sent,
        "requeued": requeued,
        "texts_settled_sent": texts_sent,
        "texts_requeued": texts_requeued,
    }


def _settle_discord(settings: Settings, connection: redis.Redis) -> dict[str, int]:
    """Discord DMs and posts left `sending` (nothing to do without a bot token)."""
    if not settings.discord_bot_token:
        return {}
    lease = timedelta(seconds=settings.sending_lease_seconds)
    return discord_jobs.settle_stuck(settings, connection, lease)


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
        counts.update(settle_stuck(settings))
    except twilio_sms.SmsError as exc:
        log.warning("reconcile: cannot settle stuck deliveries: %s", exc)
    counts.update(_settle_discord(settings, connection))
    if queues.queue(queues.MESSAGES, connection).count == 0:
        with transaction(settings.database_url) as session:
            due, texts_due = notify.due(session, ("sms",)), outbox.due(session)
            posts_due = discord_announce.due(session)
        counts["deliveries_queued"] = enqueue_by_channel(connection, due)
        counts["texts_queued"] = enqueue_outbound(connection, texts_due)
        counts["posts_queued"] = enqueue_posts(connection, posts_due)
    if queues.queue(queues.DISCORD, connection).count == 0:
        with transaction(settings.database_url) as session:
            dms_due = notify.due(session, ("discord",)).get("discord", [])
            grants_due = discord_roles.due(session)
            discord_interactions.forget_old(session, utcnow())
        counts["dms_queued"] = enqueue_by_channel(connection, {"discord": dms_due})
        counts["role_grants_queued"] = enqueue_grants(connection, grants_due)
    counts["at"] = int(utcnow().timestamp())
    return counts
