"""The two 429s at the wire (responses): QUOTA_EXCEEDED in the body is the app's quota, with
a reset; anything else is the rolling rate limit with its Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from core.providers import QuotaExceeded, RateLimited, quota_reset, spotify
from core.settings import Settings
from tests.integration.spotify_stubs import ME_URL, rsps, spotify_settings

__all__ = ["rsps"]
QUOTA_BODY = '{"error": {"status": 429, "reason": "QUOTA_EXCEEDED"}}'


def ask(settings: Settings) -> Exception:
    app = spotify.app_from_settings(spotify_settings(settings))
    assert app is not None
    with pytest.raises((QuotaExceeded, RateLimited)) as caught:
        spotify.current_user(app, "AT-quota")
    return caught.value


def test_quota_429_with_retry_after_stops_until_then(
    settings: Settings, rsps: responses.RequestsMock
) -> None:
    rsps.add(responses.GET, ME_URL, status=429, body=QUOTA_BODY,
             headers={"Retry-After": "5400"})  # fmt: skip
    before = datetime.now(UTC)
    error = ask(settings)
    assert isinstance(error, QuotaExceeded)
    assert timedelta(seconds=5390) < error.until - before < timedelta(seconds=5410)
    assert "QUOTA_EXCEEDED" in str(error)
    assert len(rsps.calls) == 1


def test_quota_429_without_retry_after_stops_until_the_next_utc_day(
    settings: Settings, rsps: responses.RequestsMock
) -> None:
    rsps.add(responses.GET, ME_URL, status=429, body=QUOTA_BODY, headers={})
    error = ask(settings)
    assert isinstance(error, QuotaExceeded)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert error.until == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)


def test_a_rate_limit_429_is_not_a_quota_stop(
    settings: Settings, rsps: responses.RequestsMock
) -> None:
    rsps.add(responses.GET, ME_URL, status=429, headers={"Retry-After": "12"},
             body='{"error": {"status": 429, "message": "API rate limit exceeded"}}')  # fmt: skip
    error = ask(settings)
    assert type(error) is RateLimited
    assert error.retry_after == 12


@pytest.mark.parametrize(
    ("header", "now", "expected"),
    [
        ("60", datetime(2026, 12, 5, 23, 0, tzinfo=UTC), datetime(2026, 12, 5, 23, 1, tzinfo=UTC)),
        (None, datetime(2026, 12, 5, 23, 59, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC)),
        ("soon", datetime(2026, 12, 31, 8, 0, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("0", datetime(2026, 12, 5, 1, 0, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC)),
    ],
)
def test_quota_reset(header: str | None, now: datetime, expected: datetime) -> None:
    assert quota_reset(header, now) == expected
