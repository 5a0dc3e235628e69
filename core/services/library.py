"""Save one fan's pre-save on Spotify and decide its fate (no database here).

The fan-out loads a batch of SaveTasks, runs `save_one` for each on a thread pool, and
writes the SaveOutcomes back in one transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from core.models import PreSaveStatus
from core.providers import (
    PROVIDER_SPOTIFY,
    QuotaExceeded,
    QuotaRestricted,
    RateLimited,
    Rejected,
    Revoked,
    Unavailable,
)
from core.providers import spotify_library as api
from core.providers.spotify import SCOPE_FOLLOW

T = TypeVar("T")
REFRESH_MARGIN_SECONDS = 60.0
RECONNECT_RECHECK_SECONDS = 300.0  # invalid_grant must repeat at least 5 minutes later
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 15.0
QUOTA_STOP_PREFIX = "Spotify quota used up (QUOTA_EXCEEDED): saving stopped for the app"


@dataclass(frozen=True)
class SaveTask:
    """Everything needed to save one pre-save, decrypted in memory only."""

    presave_id: int
    fan_id: int
    grant_id: int
    album_id: str
    artist_id: str | None
    follow: bool
    scopes: str
    refresh_token: str
    access_token: str | None
    access_expires_at: float | None
    attempts: int
    revoked_seen_at: float | None


@dataclass
class SaveOutcome:
    """What happened to one pre-save, and what to store."""

    presave_id: int
    fan_id: int
    grant_id: int
    status: PreSaveStatus
    error: str | None = None
    retry_in: float | None = None
    tokens: api.Tokens | None = None
    followed: bool = False
    revoked_seen: bool = False
    rate_limited: bool = False
    quota_until: datetime | None = None  # set when this save met the app's quota stop

    @property
    def final(self) -> bool:
        """Whether the fan can be told now (nothing left to retry)."""
        return self.status is not PreSaveStatus.PENDING


class Throttle:
    """One request budget: `wait()` before a request, `penalize()` when it answered 429."""

    def __init__(self, wait: Callable[[], None], penalize: Callable[[float], None]) -> None:
        self.wait = wait
        self.penalize = penalize


class QuotaStop:
    """Whether the app's Spotify quota is used up, and until when (UTC).

    This one lives in the process; the workers use one kept in Redis, so a quota 429 seen
    by one job stops every worker's saves.
    """

    def __init__(self) -> None:
        self._until: datetime | None = None
        self._lock = threading.Lock()

    def until(self) -> datetime | None:
        """The end of the stop, or None when saving may go on."""
        with self._lock:
            if self._until is not None and self._until <= datetime.now(UTC):
                self._until = None
            return self._until

    def stop(self, until: datetime) -> None:
        """Stop saving until `until` (a later stop wins)."""
        with self._lock:
            if self._until is None or until > self._until:
                self._until = until


def quota_error(until: datetime) -> str:
    """The reason kept on a pre-save the quota stop closed (the fan pages look for it)."""
    return f"{QUOTA_STOP_PREFIX} until {until.strftime('%Y-%m-%d %H:%M UTC')}"


class Gate:
    """The Web API budget (the one Spotify rate-limits), the accounts-service budget, and
    the app-wide quota stop."""

    def __init__(self, api: Throttle, accounts: Throttle, quota: QuotaStop | None = None) -> None:
        self.api = api
        self.accounts = accounts
        self.quota = quota or QuotaStop()


def _backoff(attempts: int, base: float) -> float:
    return float(min(base * 2.0 ** max(0, attempts - 1), 1800.0))


def _call(gate: Gate, throttle: Throttle, fn: Callable[[], T]) -> T:
    """One request within `throttle`'s budget; a 429 penalizes that budget for everyone.

    A quota 429 does not: it stops the whole app's saves (no request until its reset).
    """
    stopped = gate.quota.until()
    if stopped is not None:
        raise QuotaExceeded(PROVIDER_SPOTIFY, stopped, datetime.now(UTC))
    throttle.wait()
    try:
        return fn()
    except QuotaExceeded as exc:
        gate.quota.stop(exc.until)
        raise
    except RateLimited as exc:
        throttle.penalize(exc.retry_after)
        raise


def _refresh(http: api.SpotifyHttp, task: SaveTask, gate: Gate, outcome: SaveOutcome) -> str:
    refresh_token = outcome.tokens.refresh_token if outcome.tokens else task.refresh_token
    outcome.tokens = _call(gate, gate.accounts, lambda: api.refresh(http, refresh_token))
    return outcome.tokens.access_token


def _save_and_follow(
    http: api.SpotifyHttp, task: SaveTask, token: str, gate: Gate, out: SaveOutcome
) -> None:
    album = f"spotify:album:{task.album_id}"
    follow = task.follow and task.artist_id is not None and SCOPE_FOLLOW in task.scopes.split()
    if not follow:
        _call(gate, gate.api, lambda: api.save_to_library(http, token, [album]))
        return
    artist = f"spotify:artist:{task.artist_id}"
    try:
        _call(gate, gate.api, lambda: api.save_to_library(http, token, [album, artist]))
    except Rejected:  # /me/library may not take artists: save, then follow the old way
        _call(gate, gate.api, lambda: api.save_to_library(http, token, [album]))
        _call(gate, gate.api, lambda: api.follow_artists(http, token, [str(task.artist_id)]))
    out.followed = True


def _needs_refresh(task: SaveTask, now: float) -> bool:
    return (
        task.access_token is None
        or task.access_expires_at is None
        or task.access_expires_at - now < REFRESH_MARGIN_SECONDS
    )


def save_one(
    http: api.SpotifyHttp,
    task: SaveTask,
    gate: Gate,
    backoff_base: float = BACKOFF_BASE_SECONDS,
) -> SaveOutcome:
    """Refresh if needed, save (and follow), and map every failure to its own fate."""
    out = SaveOutcome(task.presave_id, task.fan_id, task.grant_id, PreSaveStatus.SAVED)
    now = time.time()
    try:
        token = _refresh(http, task, gate, out) if _needs_refresh(task, now) else None
        token = token or str(task.access_token)
        try:
            _save_and_follow(http, task, token, gate, out)
        except Revoked:  # 401: the access token was refused; refresh once and retry
            token = _refresh(http, task, gate, out)
            _save_and_follow(http, task, token, gate, out)
        return out
    except QuotaExceeded as exc:  # final: the fan gets the release link instead, no retry
        out.status, out.quota_until = PreSaveStatus.QUOTA, exc.until
        out.error = quota_error(exc.until)
    except RateLimited as exc:  # the throttle that hit it was already penalized
        out.status, out.rate_limited, out.retry_in = PreSaveStatus.PENDING, True, exc.retry_after
        out.error = f"rate limited for {exc.retry_after:g}s"
    except Unavailable as exc:
        out.error = f"Spotify unavailable: {exc.detail}"
        if task.attempts >= MAX_ATTEMPTS:
            out.status = PreSaveStatus.FAILED
        else:
            out.status, out.retry_in = PreSaveStatus.PENDING, _backoff(task.attempts, backoff_base)
    except Revoked as exc:
        seen = task.revoked_seen_at
        if seen is not None and now - seen >= RECONNECT_RECHECK_SECONDS:
            out.status, out.error = PreSaveStatus.NEEDS_RECONNECT, f"Spotify: {exc.detail}"
        else:  # one invalid_grant is not proof (Spotify outages have answered it for good tokens)
            out.status, out.retry_in = PreSaveStatus.PENDING, RECONNECT_RECHECK_SECONDS
            out.revoked_seen, out.error = seen is None, f"Spotify: {exc.detail}; checking again"
    except QuotaRestricted as exc:
        out.status = PreSaveStatus.QUOTA
        out.error = f"the artist's Spotify app is in development mode: {exc.detail}"
    except Rejected as exc:
        out.status, out.error = PreSaveStatus.FAILED, f"Spotify refused: {exc.detail}"
    return out
