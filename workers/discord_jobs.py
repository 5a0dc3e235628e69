"""Discord jobs: pre-saver roles, drop-day posts in bound channels, and settling what a dead
worker left `sending`. Thin: claims and outcomes live in core services."""

from __future__ import annotations

import functools
import logging
import time
from datetime import datetime, timedelta

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
from core.services import compose, discord_announce, discord_roles, notify
from core.services.discord_roles import Grant
from core.settings import Settings, load_settings
from workers.discord_guard import InvalidBudget
from workers.discord_transport import UNAUTHORIZED_HALT, discord_limiter
from workers.enqueue import enqueue_after, enqueue_grants, enqueue_posts
from workers.ratelimit import SharedRateLimiter
from workers.sending import take_slot

log = logging.getLogger(__name__)
JOB_SECONDS = 240.0  # a job hands back what it could not get to in this long
REASON = "pre-saved the release (presave)"
SKEW = timedelta(seconds=5)  # between our clock and Discord's, when looking for a message


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
            discord_roles.retry_later(session, grant, exc.retry_after, str(exc), rate_limited=True)
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
            discord_roles.retry_later(session, grant, wait, str(exc))
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
                discord_roles.release(session, grant)
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
            refused.add(grant.binding_id)
        if again is not None:
            retry[grant.id] = again
        state = "granted" if error is None else "retry" if again else "failed"
        counts[state] = counts.get(state, 0) + 1
    enqueue_after(functools.partial(enqueue_grants, connection), retry)
    return counts


def _paused(wait: float) -> DiscordRateLimited:
    """A stand-in refusal for a request not made (budget spent, no slot in time)."""
    return DiscordRateLimited(max(wait, 1.0), False, "ours")


def post_announcements(post_ids: list[int]) -> dict[str, int]:
    """Post drop-day announcements in bound channels, mentioning only their role."""
    settings, connection = load_settings(), _connection()
    with transaction(settings.database_url) as session:
        posts = discord_announce.claim(session, post_ids)
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
                discord_announce.retry_later(session, post.id, retry[post.id], "paused")
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
            discord_announce.mark_sent(session, post.id, message_id)
        counts["sent"] += 1
    enqueue_after(functools.partial(enqueue_posts, connection), retry)
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
            discord_announce.retry_later(session, post_id, wait, str(exc))
        else:
            hint = " (check the bot's permissions there, then run /presave-setup again)"
            code = getattr(exc, "code", None)
            discord_announce.mark_failed(session, post_id, str(exc) + hint, str(code or ""))
    return wait


class _Asking:
    """Reconcile's Discord lookups under the bot's shared budget: a slot for every request,
    none while the invalid-request budget is spent or the token was refused."""

    def __init__(self, settings: Settings, connection: redis.Redis) -> None:
        self.guard = InvalidBudget(connection)
        self.api = discord_rest.client(settings).with_invalid_hook(self.guard.record)
        self.limiter = discord_limiter(settings, connection)
        self.deadline = time.monotonic() + JOB_SECONDS

    def may(self) -> bool:
        """A slot for the next request, unless Discord must not be asked now."""
        return self.guard.wait() <= 0 and take_slot(self.limiter, self.deadline)

    def find(self, channel_id: str, since: datetime, content: str) -> str | None:
        """find_own_message, each of its requests under a slot (_NotNow: none now)."""
        if not discord_rest.bot_user_id_known(self.api):
            if not self.may():
                raise _NotNow
            discord_rest.bot_user_id(self.api)
        if not self.may():
            raise _NotNow
        return discord_rest.find_own_message(self.api, channel_id, since, content)


class _NotNow(Exception):
    """No slot for a lookup now: the rest waits for the next round."""


def _dm_text(settings: Settings, delivery_id: int) -> str | None:
    """The words a stuck DM went out with, rendered as at its claim (None: gone)."""
    url, program = settings.public_url, settings.program_name
    with transaction(settings.database_url) as session:
        return compose.text_as_claimed(session, delivery_id, url, program)


def settle_stuck(settings: Settings, connection: redis.Redis, lease: timedelta) -> dict[str, int]:
    """DMs and posts left `sending` by a worker that died (or got no answer): sent if
    Discord has that very message (our bot's, its own words) in that channel since the
    claim, else queued again; another message of ours there never settles it. A row
    Discord cannot be asked about now stays `sending` for the next round. Every request
    takes a slot of the bot's shared budget, as the senders' do."""
    with transaction(settings.database_url) as session:
        dms = notify.stuck_sending(session, lease, channel="discord")
        posts = discord_announce.stuck_sending(session, lease)
    if not dms and not posts:
        return {}
    asking = _Asking(settings, connection)
    counts = {"discord_settled_sent": 0, "discord_requeued": 0}
    lost = "worker lost before sending"
    try:
        for delivery_id, user_id, claimed_at in dms:
            text, found = _dm_text(settings, delivery_id), None
            try:
                if user_id and text is not None:
                    if not asking.may():
                        raise _NotNow
                    channel_id = discord_rest.open_dm(asking.api, str(user_id))
                    found = asking.find(channel_id, claimed_at - SKEW, text)
            except ProviderError as exc:
                log.warning("reconcile: cannot look up Discord DM %s now: %s", delivery_id, exc)
                continue
            with transaction(settings.database_url) as session:
                if found:
                    notify.mark_sent(session, delivery_id, found)
                else:
                    notify.retry_later(session, delivery_id, 0, lost)
            counts["discord_settled_sent" if found else "discord_requeued"] += 1
        for post, claimed_at in posts:
            try:
                found = asking.find(post.channel_id, claimed_at - SKEW, post.body)
            except ProviderError as exc:
                log.warning("reconcile: cannot look up Discord post %s now: %s", post.id, exc)
                continue
            with transaction(settings.database_url) as session:
                if found:
                    discord_announce.mark_sent(session, post.id, found)
                else:
                    discord_announce.retry_later(session, post.id, 0, lost)
            counts["discord_settled_sent" if found else "discord_requeued"] += 1
    except _NotNow:
        log.info("reconcile: Discord lookups paused; the rest waits for the next round")
    return counts
