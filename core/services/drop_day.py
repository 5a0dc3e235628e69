"""Drop day's use cases: start the drop of a campaign, and save one chunk of its pre-saves.

The caller (a worker job) brings what runs outside the database: the Spotify clients, the
shared rate limiter's gate, and what to do with deliveries found along the way. These
functions take ids, claim rows in the database (claims decide who works on what, so a chunk
run twice finds nothing left to claim), and say what is left for the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.db import transaction
from core.models import Campaign, CampaignStatus, PreSaveStatus
from core.providers.spotify_library import SpotifyHttp
from core.services import discord_announce, drop, funnel_events, notify, spotify_quota
from core.services.library import Gate, SaveOutcome, SaveTask, save_one
from core.services.notify import ByChannel

RECORD_EVERY = 50
# A chunk stops starting saves when this share of its claim's lease is gone, so that it
# records them and hands back the rest before another worker may claim them.
LEASE_SHARE = 0.8


@dataclass(frozen=True)
class Started:
    """What starting a drop made: pre-saves to save, fans to tell now, server posts."""

    presave_ids: list[int]
    deliveries: ByChannel
    posts: list[int]


def start(database_url: str, campaign_id: int) -> Started:
    """The release is live somewhere: plan saves for fans of live markets, tell the others.

    Safe to call again (every detection, reconcile, or by hand): only due, unclaimed rows
    are planned and deliveries are unique.
    """
    with transaction(database_url) as session:
        message_id = drop.drop_message_id(session, campaign_id)
        presave_ids = drop.plan(session, campaign_id)
        deliveries: ByChannel = {}
        posts: list[int] = []
        if drop.live_markets(session, campaign_id):
            fans = notify.fans_to_tell_now(session, campaign_id)
            deliveries = notify.create_deliveries(session, message_id, campaign_id, fans)
            posts = discord_announce.create(session, message_id, campaign_id)
    return Started(presave_ids, deliveries, posts)


@dataclass(frozen=True)
class SaveRun:
    """How a chunk's saves run: Spotify's clients, the limiter's gate, and limits."""

    http: SpotifyHttp
    gate: Gate
    cipher: TokenCipher
    threads: int
    backoff_seconds: float
    lease_seconds: float


@dataclass(frozen=True)
class Outlets:
    """Deliveries found while a chunk runs: `queue` them now, or `tell` their fans from the
    job as the chunk goes (their save is final)."""

    queue: Callable[[ByChannel], object]
    tell: Callable[[ByChannel], object]


@dataclass(frozen=True)
class ChunkDone:
    """What a chunk did, and the pre-saves to queue again: not due yet (when), asking for a
    retry (seconds), handed back unstarted (now)."""

    claimed: int
    saved: int
    early: dict[int, datetime]
    retry: dict[int, float]
    released: list[int]

    def counts(self) -> dict[str, int]:
        """The job's result."""
        return {
            "claimed": self.claimed,
            "saved": self.saved,
            "retry": len(self.retry),
            "released": len(self.released),
        }


@dataclass(frozen=True)
class _Chunk:
    database_url: str
    campaign_id: int
    message_id: int
    cipher: TokenCipher


def save_chunk(
    database_url: str, campaign_id: int, presave_ids: list[int], run: SaveRun, out: Outlets
) -> ChunkDone:
    """Claim the chunk's pre-saves, save them on a thread pool, record each batch and tell
    the fans whose fate is final."""
    lease = timedelta(seconds=run.lease_seconds)
    with transaction(database_url) as session:
        claimed = drop.claim(session, presave_ids, lease)
        taken = set(claimed)
        early = drop.not_yet_due(session, [i for i in presave_ids if i not in taken])
        tasks = drop.load_tasks(session, claimed, run.cipher)
        orphans = drop.close_without_grant(session, claimed, {t.presave_id for t in tasks})
        message_id = drop.drop_message_id(session, campaign_id)
        told = notify.create_deliveries(session, message_id, campaign_id, orphans)
    out.queue(told)  # committed: a send job may start at once
    chunk = _Chunk(database_url, campaign_id, message_id, run.cipher)
    deadline = time.monotonic() + run.lease_seconds * LEASE_SHARE
    outcomes, released = _run_tasks(chunk, run, tasks, deadline, out.tell)
    if released:  # the lease would run out before we got to them: hand them back now
        with transaction(database_url) as session:
            drop.release(session, released)
    quota = [o for o in outcomes if o.quota_until is not None]
    if quota:  # the app's quota is used up: close what waits, tell those fans now
        until = max(o.quota_until for o in quota if o.quota_until is not None)
        with transaction(database_url) as session:
            told_now = spotify_quota.stop_saving(session, until)
            hit = spotify_quota.campaigns_hit(session, [o.presave_id for o in quota])
            spotify_quota.note_for_artists(session, hit | {campaign_id}, until)
        out.queue(told_now)
    retry = {o.presave_id: o.retry_in for o in outcomes if o.retry_in}
    saved = sum(1 for o in outcomes if o.status is PreSaveStatus.SAVED)
    return ChunkDone(len(claimed), saved, early, retry, released)


def _record(chunk: _Chunk, outcomes: list[SaveOutcome]) -> ByChannel:
    """Store a batch of outcomes and create the deliveries of fans whose fate is final."""
    with transaction(chunk.database_url) as session:
        final_fans = drop.record(session, outcomes, chunk.cipher)
        saved = [o.presave_id for o in outcomes if o.status is PreSaveStatus.SAVED]
        funnel_events.record_saved(session, saved)
        return notify.create_deliveries(session, chunk.message_id, chunk.campaign_id, final_fans)


def _run_tasks(
    chunk: _Chunk,
    run: SaveRun,
    tasks: list[SaveTask],
    deadline: float,
    tell: Callable[[ByChannel], object],
) -> tuple[list[SaveOutcome], list[int]]:
    """Save on a thread pool kept full while this thread records results in batches.

    A task that would start after `deadline` (the claim lease running out) is not run: its
    id comes back in the second list, to be released and queued again.
    """

    def save(task: SaveTask) -> SaveOutcome | None:
        if time.monotonic() >= deadline:
            return None
        return save_one(run.http, task, run.gate, run.backoff_seconds)

    done: list[SaveOutcome] = []
    batch: list[SaveOutcome] = []
    released: list[int] = []
    with ThreadPoolExecutor(run.threads, thread_name_prefix="save") as pool:
        futures = {pool.submit(save, task): task.presave_id for task in tasks}
        for future in as_completed(futures):
            outcome = future.result()
            if outcome is None:
                released.append(futures[future])
                continue
            batch.append(outcome)
            if len(batch) >= RECORD_EVERY:
                tell(_record(chunk, batch))
                done.extend(batch)
                batch = []
        if batch:
            tell(_record(chunk, batch))
            done.extend(batch)
    return done, released


def detected_open_campaigns(session: Session) -> list[int]:
    """Open campaigns whose release was found live (reconcile plans their saves again)."""
    query = select(Campaign.id).where(
        Campaign.detected_at.is_not(None), Campaign.status == CampaignStatus.OPEN
    )
    return list(session.scalars(query))
