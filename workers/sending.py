"""What every channel's sender shares: the outcome of one message, the send-time consent
reading of a batch, the process's sending threads, and the loop that sends one message."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import redis

from core.db import read_connection
from core.services import consent
from core.services.notify import Outgoing
from core.settings import Settings
from workers.ratelimit import SharedRateLimiter

log = logging.getLogger(__name__)
SEND_THREADS = 64  # per process, shared by the batches it sends at once
ACQUIRE_TIMEOUT = 300.0
RECHECK_AFTER_WAIT = 0.5  # a consent reading older than this is not trusted to send


@dataclass(frozen=True)
class Sent:
    """What happened to one outgoing message."""

    item: Outgoing
    # sent | retry | failed | opted_out | no_consent | unknown | undeliverable
    state: str
    sid: str | None = None
    error: str = ""
    code: str | None = None
    delay: float = 0.0
    dm_channel: str | None = None  # Discord: a DM channel opened (""": forget the stored one)


class Transport(Protocol):
    """One channel's way out: the shared limiter a message goes out under, and one message
    sent (its first slot already taken by the caller)."""

    def limiter_for(self, item: Outgoing) -> SharedRateLimiter:
        """The shared budget `item` takes its slot from."""
        ...

    def deliver(self, item: Outgoing, deadline: float) -> Sent:
        """Send `item` now; never raises for a provider's refusal."""
        ...


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


def sending_pool() -> ThreadPoolExecutor:
    """The process's sending threads, shared by every batch it sends (a drop's save job
    sends a batch every few dozen fans: a pool each started thousands of threads). Keyed by
    pid: a forked work horse has none of its parent's threads."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="send")
            _pools[os.getpid()] = pool
        return pool


def take_slot(limiter: SharedRateLimiter, deadline: float) -> bool:
    """A slot of the channel's shared budget before `deadline` (a claim's end); False also
    when the limiter's Redis fails (the caller hands the message back instead of sending
    it unpaced or holding its claim)."""
    wait = max(0.0, min(ACQUIRE_TIMEOUT, deadline - time.monotonic()))
    try:
        return limiter.acquire(timeout=wait) and time.monotonic() < deadline
    except redis.RedisError as exc:
        log.warning("no sending slot: %s", exc)
        return False


def send_one(
    transport: Transport, item: Outgoing, consents: ConsentSnapshot, deadline: float
) -> Sent:
    """Check consent once more, wait for a slot, send; never after the claim's deadline
    (past it, reconcile may already be settling this delivery).

    Consent is read before the slot (fresh to half of RECHECK_AFTER_WAIT), so the request
    usually leaves the moment its slot comes (a read in between made requests reach the
    provider late and in bunches, over its rate), and read again when the reading is older
    than RECHECK_AFTER_WAIT by then: a STOP may have arrived meanwhile."""
    if not consents.allows(item, RECHECK_AFTER_WAIT / 2):
        return Sent(item, "no_consent", error="no consent at send time")
    if not take_slot(transport.limiter_for(item), deadline):
        error = "no sending slot before the claim ran out (or the limiter's Redis failed)"
        return Sent(item, "retry", error=error, delay=1.0)
    if not consents.allows(item, RECHECK_AFTER_WAIT):
        return Sent(item, "no_consent", error="no consent at send time")
    return transport.deliver(item, deadline)
