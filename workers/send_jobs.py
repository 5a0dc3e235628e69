"""Send jobs: drop notifications over SMS, paced under TWILIO_MPS by the shared limiter."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import redis
from rq import get_current_job
from twilio.rest import Client

from core.db import transaction
from core.providers import twilio_sms
from core.services import consent, notify
from core.services.notify import Outgoing
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.fanout import enqueue_sends
from workers.ratelimit import limiter_for

log = logging.getLogger(__name__)
SEND_THREADS = 8
ACQUIRE_TIMEOUT = 300.0


def _send_one(
    settings: Settings, connection: redis.Redis, twilio: Client, item: Outgoing
) -> tuple[str, float]:
    """Send one message; returns what to record: ("sent", 0) or a retry delay."""
    limiter = limiter_for(connection, "twilio", settings.twilio_mps)
    if not limiter.acquire(timeout=ACQUIRE_TIMEOUT):
        return "retry", 5.0
    with transaction(settings.database_url) as session:  # consent, checked at send time
        if not consent.may_message(session, item.fan_id, item.campaign_id, item.channel):
            notify.mark_failed(session, item.delivery_id, "no consent at send time")
            return "cancelled", 0.0
    callback = f"{settings.public_url}/webhooks/twilio/status"
    try:
        sent = twilio_sms.send(twilio, settings, item.to, item.body, callback)
    except twilio_sms.SmsRateLimited as exc:
        limiter.penalize(exc.retry_after)
        outcome: tuple[str, float] = ("retry", exc.retry_after)
        error = str(exc)
    except twilio_sms.SmsUnavailable as exc:
        outcome, error = ("retry", 30.0), str(exc)
    except twilio_sms.SmsOptedOut as exc:
        with transaction(settings.database_url) as session:
            notify.mark_failed(session, item.delivery_id, f"opted out: {exc}", "21610")
            sender = settings.twilio_from_number or settings.twilio_messaging_service_sid or ""
            consent.opt_out(session, item.fan_id, "sms", sender, reason="twilio_21610")
        return "failed", 0.0
    except twilio_sms.SmsError as exc:
        with transaction(settings.database_url) as session:
            code = str(getattr(exc, "code", "") or "") or None
            notify.mark_failed(session, item.delivery_id, str(exc), code)
        return "failed", 0.0
    else:
        with transaction(settings.database_url) as session:
            notify.mark_sent(session, item.delivery_id, sent.sid)
        return "sent", 0.0
    with transaction(settings.database_url) as session:
        notify.retry_later(session, item.delivery_id, outcome[1], error)
    return outcome


def send_chunk(delivery_ids: list[int]) -> dict[str, int]:
    """Claim, check consent and quiet hours, and send a chunk of deliveries."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "send_chunk runs inside an RQ job"
    connection = job.connection
    with transaction(settings.database_url) as session:
        claimed = notify.claim(session, delivery_ids)
        outgoing = notify.prepare(
            session, claimed, settings.public_url, settings.program_name, utcnow()
        )
    counts: dict[str, int] = {"claimed": len(claimed)}
    if not outgoing:
        return counts
    try:
        twilio = twilio_sms.client(settings)
    except twilio_sms.SmsRejected as exc:  # not configured: say so on every delivery
        with transaction(settings.database_url) as session:
            for item in outgoing:
                notify.mark_failed(session, item.delivery_id, str(exc))
        counts["failed"] = len(outgoing)
        return counts
    with ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="send") as pool:
        results = list(pool.map(lambda i: _send_one(settings, connection, twilio, i), outgoing))
    retry: dict[int, list[int]] = {}
    for item, (state, delay) in zip(outgoing, results, strict=True):
        counts[state] = counts.get(state, 0) + 1
        if state == "retry":
            retry.setdefault(int(delay + 0.999), []).append(item.delivery_id)
    for delay, ids in retry.items():
        enqueue_sends(connection, ids, float(delay))
    return counts
