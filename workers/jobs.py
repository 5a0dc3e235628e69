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


def grant_health() -> dict[str, int]:
    """Mark fans whose Spotify grant dies before an open campaign's release (hourly)."""
    from sqlalchemy import select

    from core.db import transaction
    from core.models import Campaign, CampaignStatus
    from core.services.grant_health import request_reconnects
    from core.settings import load_settings

    settings = load_settings()
    totals = {"expired": 0, "asked": 0}
    with transaction(settings.database_url) as session:
        open_campaigns = session.scalars(
            select(Campaign).where(
                Campaign.status == CampaignStatus.OPEN, Campaign.release_at > utcnow()
            )
        )
        for campaign in list(open_campaigns):
            marked = request_reconnects(session, campaign)
            totals["expired"] += marked.expired
            totals["asked"] += marked.asked
    return totals


def replay_inbound() -> dict[str, int]:
    """Answer the inbound texts kept while the database was down; queue their replies."""
    from bot.sms_backlog import replay
    from core.settings import load_settings
    from workers.enqueue import enqueue_outbound

    job = get_current_job()
    assert job is not None, "replay_inbound runs inside an RQ job"
    done = replay(job.connection, load_settings())
    enqueue_outbound(job.connection, done.text_ids)
    return {"answered": done.answered, "replies": len(done.text_ids), "left": done.left}
