"""Send jobs: scheduled and drop messages over SMS and Discord, each channel paced by its
shared limiter (TWILIO_MPS; DISCORD_MAX_RPS, the bot's global limit).

Consent is read once more right before each message goes out, by a reading of the batch at
most half a second old (a STOP can arrive while a slow sender works through a chunk).
Results are written in batches; a worker killed before writing leaves its deliveries
`sending`, which reconcile settles by asking the provider whether they went out.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from datetime import datetime

import redis
from rq import get_current_job
from sqlalchemy.orm import Session

from core.db import read_only, transaction
from core.providers import ProviderError, twilio_sms
from core.services import compose, consent, notify, outbox, send_state, web_optin
from core.services.fans import mask_phone
from core.services.notify import DELIVERIES, Outgoing
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.enqueue import enqueue, enqueue_after, seconds_until
from workers.send_kinds import KINDS
from workers.sending import (
    ACQUIRE_TIMEOUT,
    ConsentSnapshot,
    Sent,
    Transport,
    send_one,
    sending_pool,
    take_slot,
)
from workers.sms_transport import SmsTransport

log = logging.getLogger(__name__)
RECORD_EVERY = 25
CANCELLED, FAILED = send_state.CANCELLED, send_state.FAILED


def _remember_dm_channels(session: Session, results: list[Sent]) -> None:
    """DM channels opened (or found gone) while sending, kept on the fan."""
    pairs = [(r.item.fan_id, r.dm_channel or None) for r in results if r.dm_channel is not None]
    notify.remember_dm_channels(session, pairs)


def _record(settings: Settings, results: list[Sent]) -> None:
    """Write a batch of results in one transaction."""
    sender = settings.twilio_from_number or settings.twilio_messaging_service_sid or ""
    with transaction(settings.database_url) as session:
        _remember_dm_channels(session, results)
        sent = [(r.item.delivery_id, r.sid) for r in results if r.state == "sent" and r.sid]
        send_state.mark_sent(session, DELIVERIES, sent)
        for r in results:
            delivery_id = r.item.delivery_id
            if (r.state == "sent" and r.sid) or r.state == "unknown":
                continue
            if r.state == "retry":
                send_state.retry_later(session, DELIVERIES, delivery_id, r.delay, r.error)
            elif r.state == "no_consent":
                send_state.give_up(session, DELIVERIES, delivery_id, CANCELLED, r.error)
            elif r.state == "undeliverable":
                notify.mark_undeliverable(session, delivery_id, r.item.fan_id, r.error, r.code)
            else:
                send_state.give_up(
                    session, DELIVERIES, delivery_id, FAILED, r.error, error_code=r.code
                )
                if r.state == "opted_out":
                    consent.opt_out(session, r.item.fan_id, "sms", sender, reason="twilio_21610")


def send_chunk(delivery_ids: list[int]) -> dict[str, int]:
    """Claim, check consent and quiet hours, and send a chunk of deliveries."""
    job = get_current_job()
    assert job is not None, "send_chunk runs inside an RQ job"
    return send_deliveries(load_settings(), job.connection, delivery_ids)


def _transports(
    settings: Settings, connection: redis.Redis, outgoing: list[Outgoing]
) -> tuple[dict[str, Transport], list[Sent]]:
    """A transport for each channel in `outgoing`; failures for those not configured."""
    found: dict[str, Transport] = {}
    unsendable: list[Sent] = []
    for channel in sorted({item.channel for item in outgoing}):
        try:
            transport = KINDS[channel].transport
            assert transport is not None, f"{channel} deliveries have a transport"
            found[channel] = transport(settings, connection)
        except (twilio_sms.SmsRejected, ProviderError) as exc:  # not configured: say so
            unsendable += [
                Sent(i, "failed", error=str(exc)) for i in outgoing if i.channel == channel
            ]
    return found, unsendable


def send_deliveries(
    settings: Settings, connection: redis.Redis, delivery_ids: list[int]
) -> dict[str, int]:
    """Claim these deliveries, send the due ones and record each result; what is not due
    yet or must be retried is queued again. Safe to run twice: the claim decides."""
    deadline = time.monotonic() + settings.sending_lease_seconds * 0.8
    now = utcnow()  # one moment for the claim and the words: reconcile re-words as at it
    with transaction(settings.database_url) as session:
        claimed = send_state.claim(session, DELIVERIES, delivery_ids, now)
        taken = set(claimed)
        early = send_state.not_yet_due(
            session, DELIVERIES, [i for i in delivery_ids if i not in taken]
        )
        early_channels = notify.channels_of(session, sorted(early))
    _queue_at(connection, early_channels, early)  # the scheduler ran us before they were due
    with transaction(settings.database_url) as session:
        outgoing = compose.prepare(
            session, claimed, settings.public_url, settings.program_name, now
        )
    _queue_held(settings, connection, [i for i in claimed if i not in _ids(outgoing)])
    counts: dict[str, int] = {"claimed": len(claimed)}
    transports, unsendable = _transports(settings, connection, outgoing)
    if unsendable:
        _record(settings, unsendable)
        counts["failed"] = len(unsendable)
    outgoing = [item for item in outgoing if item.channel in transports]
    if not outgoing:
        return counts
    retry: dict[str, dict[int, float]] = {}
    batch: list[Sent] = []
    consents = ConsentSnapshot(settings, outgoing)
    pool = sending_pool()
    futures = [
        pool.submit(send_one, transports[item.channel], item, consents, deadline)
        for item in outgoing
    ]
    for future in as_completed(futures):
        result = future.result()
        counts[result.state] = counts.get(result.state, 0) + 1
        if result.state == "retry":
            retry.setdefault(result.item.channel, {})[result.item.delivery_id] = result.delay
        batch.append(result)
        if len(batch) >= RECORD_EVERY:
            _record(settings, batch)
            batch = []
    if batch:
        _record(settings, batch)
    for channel, waits in retry.items():
        enqueue_after(_sends(connection, channel), waits)
    return counts


def _ids(outgoing: list[Outgoing]) -> set[int]:
    return {item.delivery_id for item in outgoing}


def _queue_held(settings: Settings, connection: redis.Redis, ids: list[int]) -> None:
    """Deliveries held (quiet hours, the daily cap) queued again for when the hold ends."""
    with transaction(settings.database_url) as session:
        held = send_state.held_until(session, DELIVERIES, ids)
        channels = notify.channels_of(session, sorted(held))
    _queue_at(connection, channels, held)


def _queue_at(
    connection: redis.Redis, channels: dict[str, list[int]], when: dict[int, datetime]
) -> None:
    """Queue the deliveries of each channel again for their time."""
    for channel, ids in channels.items():
        enqueue_after(_sends(connection, channel), seconds_until({i: when[i] for i in ids}))


def _sends(connection: redis.Redis, channel: str) -> Callable[[list[int], float], int]:
    """Queue send jobs for deliveries of one channel (for enqueue_after)."""
    return functools.partial(enqueue, connection, channel)


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
    sent = _send_text(settings, job.connection, text)
    with transaction(settings.database_url) as session:
        outcome = outbox.settle(
            session,
            text,
            sent.state,
            sent.error,
            sid=sent.sid,
            delay=sent.delay,
            sender=web_optin.sender_of(settings),
        )
    if outcome == "retry":
        enqueue_after(_sends(job.connection, "text"), {text_id: sent.delay})
    log.log(
        logging.WARNING if outcome == "unknown" else logging.INFO,  # unknown: reconcile asks
        "outbox text %d to %s: %s (%s)",
        text_id,
        mask_phone(text.to),
        outcome,
        sent.sid or sent.error,
    )
    return outcome


def _send_text(settings: Settings, connection: redis.Redis, text: Outgoing) -> Sent:
    """The text sent under the shared SMS budget, if its number may still be texted."""
    with read_only(settings.database_url) as session:
        allowed = web_optin.may_text(session, settings, text.to, text.delivery_id)
    if not allowed:
        return Sent(text, "no_consent", error="recipient opted out")
    try:
        sms = SmsTransport(settings, connection)
    except twilio_sms.SmsRejected as exc:  # Twilio is not configured
        return Sent(text, "failed", error=str(exc))
    if not take_slot(sms.limiter_for(text), time.monotonic() + ACQUIRE_TIMEOUT):
        error = "no sending slot in time (or the limiter's Redis failed)"
        return Sent(text, "retry", error=error, delay=5.0)
    return sms.send(text)
