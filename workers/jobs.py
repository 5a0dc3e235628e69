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
    """Mark fans whose Spotify grant dies before an open campaign's release and ask them to
    reconnect 7 days before it (hourly)."""
    from core.services.grant_health import check_open_campaigns
    from core.settings import load_settings
    from workers.enqueue import enqueue_by_channel

    totals, asks = check_open_campaigns(load_settings().database_url, utcnow())
    job = get_current_job()
    if job is not None:  # the asks are in the database: reconcile queues them otherwise
        enqueue_by_channel(job.connection, asks)
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


def send_password_reset(email: str) -> bool:
    """Mail a password reset link if an account uses `email` (the artist app's form)."""
    from core.services.password_reset import send_link
    from core.settings import load_settings

    return send_link(load_settings(), email)
