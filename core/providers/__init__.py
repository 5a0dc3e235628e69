"""Adapters to outside services; provider errors become these few exceptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

QUOTA_REASON = "QUOTA_EXCEEDED"
PROVIDER_SPOTIFY = "spotify"


class ProviderError(Exception):
    """Something a provider said or did not say; `provider` names it."""

    def __init__(self, provider: str, detail: str = "") -> None:
        super().__init__(f"{provider}: {detail}" if detail else provider)
        self.provider = provider
        self.detail = detail


class RateLimited(ProviderError):
    """429: wait `retry_after` seconds before asking this provider again."""

    def __init__(self, provider: str, retry_after: float, detail: str = "") -> None:
        super().__init__(provider, detail or f"rate limited for {retry_after:g}s")
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """429 QUOTA_EXCEEDED: the app's quota is used up; no request before `until` (UTC).

    Unlike a rate-limit 429 this is not a rolling window: saving stops for the whole app.
    """

    def __init__(self, provider: str, until: datetime, now: datetime) -> None:
        wait = max(0.0, (until - now).total_seconds())
        stamp = until.strftime("%Y-%m-%d %H:%M UTC")
        detail = f"{QUOTA_REASON}: the app's quota is used up until {stamp}"
        super().__init__(provider, wait, detail)
        self.until = until


def quota_reset(retry_after: str | None, now: datetime) -> datetime:
    """When a quota 429 ends: its stated Retry-After, else the next UTC midnight."""
    if retry_after is not None:
        try:
            seconds = float(retry_after.strip())
        except ValueError:
            seconds = -1.0
        if seconds > 0:
            return now + timedelta(seconds=seconds)
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Revoked(ProviderError):
    """The credential no longer works (revoked, expired refresh token, invalid grant)."""


class Unavailable(ProviderError):
    """The provider did not answer usefully (network error, timeout, 5xx): try later."""


class QuotaRestricted(ProviderError):
    """The provider refuses this user for our app's quota (Spotify development mode)."""


class Rejected(ProviderError):
    """The provider refused the request itself (a 4xx that retrying will not fix)."""


def retry_after_seconds(raw: str | None, default: float = 30.0) -> float:
    """A Retry-After header in seconds (missing or unreadable: `default`)."""
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        return default
    return value if value >= 0 else default
