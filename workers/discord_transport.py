"""Discord DMs over REST with the bot token, under the bot's global limit shared by every
worker, and never past the invalid-request budget (workers/discord_guard.py)."""

from __future__ import annotations

import redis

from core.providers import ProviderError, Unavailable, discord_rest
from core.providers.discord_rest import (
    DiscordRateLimited,
    DmsClosed,
    OutcomeUnknown,
    Unauthorized,
    UnknownObject,
)
from core.services.notify import Outgoing
from core.settings import Settings
from workers.discord_guard import InvalidBudget
from workers.ratelimit import SharedRateLimiter, provider_limiter
from workers.sending import Sent, take_slot

HEADROOM = 0.90
UNAUTHORIZED_HALT = 600.0  # a refused token: every call would be refused (and count)


def discord_limiter(settings: Settings, connection: redis.Redis) -> SharedRateLimiter:
    """The bot's global budget (DISCORD_MAX_RPS), shared by every worker, paced a little under."""
    return provider_limiter(connection, "discord", settings.discord_max_rps, HEADROOM)


class DiscordTransport:
    """DMs from the bot: the DM channel is opened once per fan (kept on the fan), then one
    message with a nonce Discord enforces, so an immediate resend cannot post twice."""

    def __init__(self, settings: Settings, connection: redis.Redis) -> None:
        self.guard = InvalidBudget(connection)
        self.api = discord_rest.client(settings).with_invalid_hook(self.guard.record)
        self.limiter = discord_limiter(settings, connection)

    def limiter_for(self, item: Outgoing) -> SharedRateLimiter:
        """Every DM goes out under the bot's global budget."""
        return self.limiter

    def paused(self, item: Outgoing) -> Sent | None:
        """A retry when Discord must not be asked now (budget spent, token refused)."""
        wait = self.guard.wait()
        if wait <= 0:
            return None
        error = "Discord requests paused (invalid-request budget or a refused bot token)"
        return Sent(item, "retry", error=error, delay=wait)

    def deliver(self, item: Outgoing, deadline: float) -> Sent:
        """Send one DM (its first slot taken)."""
        paused = self.paused(item)
        if paused is not None:
            return paused
        channel, opened = item.dm_channel, None
        if not channel:
            try:
                channel = opened = discord_rest.open_dm(self.api, item.to)
            except ProviderError as exc:
                return self.refused(item, exc, None, sent=False)
            if not take_slot(self.limiter, deadline):
                error = "no sending slot before the claim ran out"
                return Sent(item, "retry", error=error, delay=1.0, dm_channel=opened)
        nonce = f"d{item.delivery_id}"
        try:
            message_id = discord_rest.send_message(self.api, channel, item.body, nonce=nonce)
        except ProviderError as exc:
            return self.refused(item, exc, opened, sent=True)
        return Sent(item, "sent", sid=message_id, dm_channel=opened)

    def refused(self, item: Outgoing, exc: ProviderError, opened: str | None, sent: bool) -> Sent:
        """What a refusal means for this delivery. `sent`: the message itself was posted
        (else only the DM channel was asked for, which is safe to ask again)."""
        if isinstance(exc, DmsClosed):
            return Sent(item, "undeliverable", error=str(exc), code="50007", dm_channel=opened)
        if isinstance(exc, DiscordRateLimited):
            if exc.is_global:
                self.limiter.penalize(exc.retry_after)
            return Sent(item, "retry", error=str(exc), delay=exc.retry_after, dm_channel=opened)
        if isinstance(exc, Unauthorized):
            self.guard.halt(UNAUTHORIZED_HALT, str(exc))
            return Sent(item, "retry", error=str(exc), delay=UNAUTHORIZED_HALT)
        if isinstance(exc, OutcomeUnknown) and sent:  # left `sending`: reconcile looks
            return Sent(item, "unknown", error=f"no answer from Discord: {exc}", dm_channel=opened)
        if isinstance(exc, Unavailable):
            return Sent(item, "retry", error=str(exc), delay=30.0, dm_channel=opened)
        if isinstance(exc, UnknownObject) and item.dm_channel and not opened:
            return Sent(
                item, "retry", error="the stored DM channel is gone", delay=1.0, dm_channel=""
            )
        code = getattr(exc, "code", None)
        return Sent(item, "failed", error=str(exc), code=str(code) if code else None)
