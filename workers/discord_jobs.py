"""Discord jobs: pre-saver roles and drop-day posts in bound channels. Thin: claims and
outcomes live in core services (send_state, discord_roles, discord_announce)."""

from __future__ import annotations

import functools
import logging
import time

import redis
from rq import get_current_job

from core.db import transaction
from core.providers import ProviderError, Unavailable, discord_rest
from core.providers.discord_rest import (
    DiscordRateLimited,
    MissingPermissions,
    Unauthorized,
    UnknownObject,
)
from core.services import discord_announce, discord_roles, send_state
from core.services.discord_announce import POSTS
from core.services.discord_roles import GRANTS, Grant
from core.settings import Settings, load_settings
from workers.discord_guard import InvalidBudget
from workers.discord_transport import UNAUTHORIZED_HALT, discord_limiter
from workers.enqueue import enqueue, enqueue_after
from workers.ratelimit import SharedRateLimiter
from workers.sending import take_slot

log = logging.getLogger(__name__)
JOB_SECONDS = 240.0  # a job hands back what it could not get to in this long
REASON = "pre-saved the release (presave)"
FAILED = send_state.FAILED


def _connection() -> redis.Redis:
    job = get_current_job()
    assert job is not None, "Discord jobs run inside an RQ job"
    return job.connection


def _role_refused(exc: ProviderError | None) -> bool:
    """Discord refused the role itself (not this member): permission, role or server gone."""
    if isinstance(exc, UnknownObject):
        return exc.code != discord_rest.UNKNOWN_MEMBER
    return isinstance(exc, MissingPermissions)


def _grant_outcome(settings: Settings, grant: Grant, exc: ProviderError | None) -> float | None:
    """Record what Discord said about one grant; seconds until it is tried again, or None."""
    with transaction(settings.database_url) as session:
        if exc is None:
            discord_roles.granted(session, grant)
        elif isinstance(exc, DiscordRateLimited):
            send_state.retry_later(
                session, GRANTS, grant.id, exc.retry_after, str(exc), uncount=True
            )
            return exc.retry_after
        elif isinstance(exc, UnknownObject) and exc.code == discord_rest.UNKNOWN_MEMBER:
            discord_roles.failed(session, grant, "the member left the server")
        elif _role_refused(exc):
            assert isinstance(exc, MissingPermissions | UnknownObject)
            discord_roles.role_refused(
                session, grant, f"{exc.message}: run /presave-setup again once fixed"
            )
        elif isinstance(exc, Unavailable | Unauthorized):
            if grant.attempts >= discord_roles.MAX_ATTEMPTS:
                discord_roles.failed(session, grant, f"gave up after {grant.attempts}: {exc}")
                return None
            wait = UNAUTHORIZED_HALT if isinstance(exc, Unauthorized) else 30.0
            send_state.retry_later(session, GRANTS, grant.id, wait, str(exc))
            return wait
        else:
            discord_roles.failed(session, grant, str(exc))
    return None


def grant_roles(grant_ids: list[int]) -> dict[str, int]:
    """Give the pre-saver role to these fans (claimed first: a duplicate job finds none)."""
    settings, connection = load_settings(), _connection()
    with transaction(settings.database_url) as session:
        grants = discord_roles.claim(session, grant_ids)
    counts = {"claimed": len(grants), "granted": 0, "retry": 0}
    if not grants:
        return counts
    guard = InvalidBudget(connection)
    api = discord_rest.client(settings).with_invalid_hook(guard.record)
    limiter, deadline = discord_limiter(settings, connection), time.monotonic() + JOB_SECONDS
    retry: dict[int, float] = {}
    refused: set[int] = set()  # bindings whose role Discord refused during this job
    for grant in grants:
        if grant.binding_id in refused:  # waits for /presave-setup, like the rest of them
            with transaction(settings.database_url) as session:
                send_state.release(session, GRANTS, grant.id)
            continue
        wait = guard.wait()
        if wait or not take_slot(limiter, deadline):
            retry[grant.id] = _grant_outcome(settings, grant, _paused(wait)) or 1.0
            continue
        error: ProviderError | None = None
        try:
            discord_rest.add_role(api, grant.guild_id, grant.user_id, grant.role_id, REASON)
        except ProviderError as exc:
            error = exc
            if isinstance(exc, DiscordRateLimited) and exc.is_global:
                limiter.penalize(exc.retry_after)
            elif isinstance(exc, Unauthorized):
                guard.halt(UNAUTHORIZED_HALT, str(exc))
        again = _grant_outcome(settings, grant, error)
        if _role_refused(error):
            refused |= {grant.binding_id}
        if again is not None:
            retry[grant.id] = again
        state = "granted" if error is None else "retry" if again else "failed"
        counts[state] = counts.get(state, 0) + 1
    enqueue_after(functools.partial(enqueue, connection, "roles"), retry)
    return counts


def _paused(wait: float) -> DiscordRateLimited:
    """A stand-in refusal for a request not made (budget spent, no slot in time)."""
    return DiscordRateLimited(max(wait, 1.0), False, "ours")


def post_announcements(post_ids: list[int]) -> dict[str, int]:
    """Post drop-day announcements in bound channels, mentioning only their role."""
    settings, connection = load_settings(), _connection()
    with transaction(settings.database_url) as session:
        posts = discord_announce.claim(session, post_ids, settings.public_url)
    counts = {"claimed": len(posts), "sent": 0}
    if not posts:
        return counts
    guard = InvalidBudget(connection)
    api = discord_rest.client(settings).with_invalid_hook(guard.record)
    limiter, deadline = discord_limiter(settings, connection), time.monotonic() + JOB_SECONDS
    retry: dict[int, float] = {}
    for post in posts:
        wait = guard.wait()
        if wait or not take_slot(limiter, deadline):
            retry[post.id] = max(wait, 1.0)
            with transaction(settings.database_url) as session:
                send_state.retry_later(session, POSTS, post.id, retry[post.id], "paused")
            continue
        try:
            message_id = discord_rest.send_message(
                api, post.channel_id, post.body, nonce=f"a{post.id}", mention_roles=(post.role_id,)
            )
        except ProviderError as exc:
            again = _post_failed(settings, limiter, guard, post.id, exc)
            if again is not None:
                retry[post.id] = again
            continue
        with transaction(settings.database_url) as session:
            send_state.mark_sent(session, POSTS, [(post.id, message_id)])
        counts["sent"] += 1
    enqueue_after(functools.partial(enqueue, connection, "post"), retry)
    return counts


def _post_failed(
    settings: Settings,
    limiter: SharedRateLimiter,
    guard: InvalidBudget,
    post_id: int,
    exc: ProviderError,
) -> float | None:
    """Record a refused post; seconds until it is tried again, or None."""
    if isinstance(exc, discord_rest.OutcomeUnknown):  # left `sending`: reconcile looks
        return None
    wait: float | None = None
    if isinstance(exc, DiscordRateLimited):
        wait = exc.retry_after
        if exc.is_global:
            limiter.penalize(exc.retry_after)
    elif isinstance(exc, Unauthorized):
        guard.halt(UNAUTHORIZED_HALT, str(exc))
        wait = UNAUTHORIZED_HALT
    elif isinstance(exc, Unavailable):
        wait = 30.0
    with transaction(settings.database_url) as session:
        if wait is not None:
            send_state.retry_later(session, POSTS, post_id, wait, str(exc))
        else:
            hint = " (check the bot's permissions there, then run /presave-setup again)"
            code = str(getattr(exc, "code", None) or "")
            send_state.give_up(session, POSTS, post_id, FAILED, str(exc) + hint, error_code=code)
    return wait
