"""Adapters to outside services; provider errors become these few exceptions."""

from __future__ import annotations


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
