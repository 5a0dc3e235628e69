"""Send jobs: drop notifications over SMS, paced under TWILIO_MPS by the shared limiter.

Consent is read once more right before each message goes out, by a reading of the batch at
most half a second old (a STOP can arrive while a slow sender works through a chunk).
Results are written in batches; a worker killed before writing leaves its deliveries
`sending`, which reconcile settles by asking Twilio.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import redis
from rq import get_current_job

from core.db import read_connection, read_only, transaction
from core.models import DeliveryStatus
from core.providers import twilio_sms
from core.services import consent, notify, outbox, web_optin
from core.services.fans import mask_phone
from core.services.notify import Outgoing
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.enqueue import enqueue_after, enqueue_outbound, enqueue_sends, seconds_until
from workers.ratelimit import TWILIO_HEADROOM, SharedRateLimiter, provider_limiter

log = logging.getLogger(__name__)
SEND_THREADS = 64  # per process, shared by the batches it sends at once
ACQUIRE_TIMEOUT = 300.0
RECORD_EVERY = 25
RECHECK_AFTER_WAIT = 0.5  # a consent reading older than this is not trusted to send


@dataclass(frozen=True)
class Sent:
    """What happened to one outgoing message."""

    item: Outgoing
    state: str  # sent | retry | failed | opted_out | no_consent | unknown
    sid: str | None = None
    error: str = ""
    code: str | None = None
    delay: float = 0.0


class ConsentSnapshot:
    """Send-time consent for one batch of outgoing messages, read for the whole batch in one
    query and read again once it is older than the caller allows (one query per refresh,
    shared by the batch's threads, instead of one per message)."""

    def __init__(self, settings: Settings, items: list[Outgoing]) -> None:
        self.url = settings.database_url
        self.keys = {(i.fan_id, i.campaign_id, i.channel) for i in items}
        self.allowed: set[consent.ConsentKey] = set()
        self.read_at = -math.inf
        self.lock = threading.Lock()

    def allows(self, item: Outgoing, max_age: float) -> bool:
        """Whether `item` may go out, by a reading at most `max_age` seconds old."""
        with self.lock:
            if time.monotonic() - self.read_at > max_age:
                began = time.monotonic()
                with read_connection(self.url) as connection:
                    self.allowed = consent.messageable(connection, self.keys)
                self.read_at = began
            return (item.fan_id, item.campaign_id, item.channel) in self.allowed


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _sending_pool() -> ThreadPoolExecutor:
    """The process's sending threads, shared by every batch it sends (a drop's save job
    sends a batch every few dozen fans: a pool each started thousands of threads). Keyed by
    pid: a forked work horse has none of its parent's threads."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="send")
            _pools[os.getpid()] = pool
        return pool


def _twilio_limiter(settings: Settings, connection: redis.Redis) -> SharedRateLimiter:
    """The shared SMS budget: TWILIO_MPS, paced a little under."""
    return provider_limiter(connection, "twilio", settings.twilio_mps, TWILIO_HEADROOM)


def _send_one(
    settings: Settings,
    limiter: SharedRateLimiter,
    twilio: twilio_sms.TwilioHttp,
    item: Outgoing,
    consents: ConsentSnapshot,
    deadline: float,
) -> Sent:
    """Check consent once more, wait for a slot, send; never after the claim's deadline
    (past it, reconcile may already be settling this delivery).

    Consent is read before the slot (fresh to half of RECHECK_AFTER_WAIT), so the request
    usually leaves the moment its slot comes (a read in between made requests reach Twilio
    late and in bunches, over its rate), and read again when the reading is older than
    RECHECK_AFTER_WAIT by then: a STOP may have arrived meanwhile."""
    if not consents.allows(item, RECHECK_AFTER_WAIT / 2):
        return Sent(item, "no_consent", error="no consent at send time")
    wait = max(0.0, min(ACQUIRE_TIMEOUT, deadline - time.monotonic()))
    if not limiter.acquire(timeout=wait) or time.monotonic() >= deadline:
        return Sent(item, "retry", error="no sending slot before the claim ran out", delay=1.0)
    if not consents.allows(item, RECHECK_AFTER_WAIT):
        return Sent(item, "no_consent", error="no consent at send time")
    callback = f"{settings.public_url}/webhooks/twilio/status"
    try:
        sent = twilio_sms.send(twilio, settings, item.to, item.body, callback)
    except twilio_sms.SmsRateLimited as exc:
        limiter.penalize(exc.retry_after)
        return Sent(item, "retry", error=str(exc), delay=exc.retry_after)
    except twilio_sms.SmsOutcomeUnknown as exc:  # left `sending`: reconcile asks Twilio
        return Sent(item, "unknown", error=f"no answer from Twilio: {exc}")
    except twilio_sms.SmsUnavailable as exc:
        return Sent(item, "retry", error=str(exc), delay=30.0)
    except twilio_sms.SmsOptedOut as exc:
        return Sent(item, "opted_out", error=f"opted out: {exc}", code="21610")
    except twilio_sms.SmsError as exc:
        code = getattr(exc, "code", None)
        return Sent(item, "failed", error=str(exc), code=str(code) if code else None)
    return Sent(item, "sent", sid=sent.sid)


def _record(settings: Settings, results: list[Sent]) -> None:
    """Write a batch of results in one transaction."""
    sender = settings.twilio_from_number or settings.twilio_messaging_service_sid or ""
    with transaction(settings.database_url) as session:
        notify.mark_sent_many(
            session, [(r.item.delivery_id, r.sid) for r in results if r.state == "sent" and r.sid]
        )
        for r in results:
            delivery_id = r.item.delivery_id
            if (r.state == "sent" and r.sid) or r.state == "unknown":
                continue
            if r.state == "retry":
                notify.retry_later(session, delivery_id, r.delay, r.error)
            elif r.state == "no_consent":
                notify.cancel(session, delivery_id, r.error)
            else:
                notify.mark_failed(session, delivery_id, r.error, r.code)
                if r.state == "opted_out":
                    consent.opt_out(session, r.item.fan_id, "sms", sender, reason="twilio_21610")


def send_chunk(delivery_ids: list[int]) -> dict[str, int]:
    """Claim, check consent and quiet hours, and send a chunk of deliveries."""
    job = get_current_job()
    assert job is not None, "send_chunk runs inside an RQ job"
    return send_deliveries(load_settings(), job.connection, delivery_ids)


def send_deliveries(
    settings: Settings, connection: redis.Redis, delivery_ids: list[int]
) -> dict[str, int]:
    """Claim these deliveries, send the due ones and record each result; what is not due
    yet or must be retried is queued again. Safe to run twice: the claim decides."""
    deadline = time.monotonic() + settings.sending_lease_seconds * 0.8
    with transaction(settings.database_url) as session:
        claimed = notify.claim(session, delivery_ids)
        taken = set(claimed)
        early = notify.not_yet_due(session, [i for i in delivery_ids if i not in taken])
    sends = functools.partial(enqueue_sends, connection)
    enqueue_after(sends, seconds_until(early))  # the scheduler ran us before they were due
    with transaction(settings.database_url) as session:
        outgoing = notify.prepare(
            session, claimed, settings.public_url, settings.program_name, utcnow()
        )
    counts: dict[str, int] = {"claimed": len(claimed)}
    if not outgoing:
        return counts
    try:
        twilio = twilio_sms.client(settings)
    except twilio_sms.SmsRejected as exc:  # not configured: say so on every delivery
        _record(settings, [Sent(item, "failed", error=str(exc)) for item in outgoing])
        counts["failed"] = len(outgoing)
        return counts
    limiter = _twilio_limiter(settings, connection)
    retry: dict[int, float] = {}
    batch: list[Sent] = []
    consents = ConsentSnapshot(settings, outgoing)
    pool = _sending_pool()
    futures = [
        pool.submit(_send_one, settings, limiter, twilio, item, consents, deadline)
        for item in outgoing
    ]
    for future in as_completed(futures):
        result = future.result()
        counts[result.state] = counts.get(result.state, 0) + 1
        if result.state == "retry":
            retry[result.item.delivery_id] = result.delay
        batch.append(result)
        if len(batch) >= RECORD_EVERY:
            _record(settings, batch)
            batch = []
    if batch:
        _record(settings, batch)
    enqueue_after(sends, retry)
    return counts


def send_outbound(text_id: int) -> str:
    """Send one outbox text (the web opt-in's confirmation) under the shared Twilio limiter.

    Claimed first, so a second job for the same text (reconcile, a retry) sends nothing.
    Returns what happened: sent, retry, cancelled, failed, unknown (left `sending` for
    reconcile to settle by asking Twilio) or not_due (claimed elsewhere, done, or early).
    """
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "send_outbound runs inside an RQ job"
    with transaction(settings.database_url) as session:
        text = outbox.claim(session, text_id)
    if text is None:
        return "not_due"
    with read_only(settings.database_url) as session:
        allowed = web_optin.may_text(session, settings, text.to)
    if not allowed:
        log.info("outbox text %d: %s opted out since it was queued", text_id, mask_phone(text.to))
        return _settle(settings, job.connection, text_id, "cancelled", "recipient opted out")
    limiter = _twilio_limiter(settings, job.connection)
    if not limiter.acquire(timeout=ACQUIRE_TIMEOUT):
        error = "no sending slot in time"
        return _settle(settings, job.connection, text_id, "retry", error, delay=5.0)
    try:
        sent = twilio_sms.send(twilio_sms.client(settings), settings, text.to, text.body)
    except twilio_sms.SmsRateLimited as exc:
        limiter.penalize(exc.retry_after)
        return _settle(settings, job.connection, text_id, "retry", str(exc), delay=exc.retry_after)
    except twilio_sms.SmsOutcomeUnknown as exc:
        log.warning("outbox text %d: no answer from Twilio (%s); reconcile asks", text_id, exc)
        return "unknown"
    except twilio_sms.SmsUnavailable as exc:
        return _settle(settings, job.connection, text_id, "retry", str(exc), delay=30.0)
    except twilio_sms.SmsOptedOut as exc:  # 21610: the number said STOP to our sender
        with transaction(settings.database_url) as session:
            sender = web_optin.sender_of(settings)
            consent.opt_out(session, text.fan_id, "sms", sender, reason="twilio_21610")
        return _settle(settings, job.connection, text_id, "cancelled", f"opted out: {exc}")
    except twilio_sms.SmsError as exc:
        return _settle(settings, job.connection, text_id, "failed", str(exc))
    with transaction(settings.database_url) as session:
        outbox.mark_sent(session, text_id, sent.sid)
    log.info("outbox text %d to %s: %s", text_id, mask_phone(text.to), sent.sid)
    return "sent"


def _settle(
    settings: Settings,
    connection: redis.Redis,
    text_id: int,
    state: str,
    error: str,
    delay: float = 0,
) -> str:
    """Record an outbox text that did not go out; a retry is queued again after `delay`."""
    with transaction(settings.database_url) as session:
        if state == "retry":
            if not outbox.retry_later(session, text_id, delay, error):
                return "failed"
        else:
            status = DeliveryStatus.CANCELLED if state == "cancelled" else DeliveryStatus.FAILED
            outbox.give_up(session, text_id, status, error)
    if state == "retry":
        enqueue_after(functools.partial(enqueue_outbound, connection), {text_id: delay})
    return state
