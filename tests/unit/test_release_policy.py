"""The release watch's polling policy: rare far from release, every minute when it matters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from core.markets import (
    ANY,
    ISO_COUNTRIES,
    MARKET_TIMEZONES,
    SPOTIFY_MARKETS,
    local_midnight,
    market_code,
)
from core.models import Campaign
from core.services.release_schedule import markets_due, next_check_at
from core.validation import ValidationError

# Midnight in New York on Friday 4 December 2026.
RELEASE = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
NZ_MIDNIGHT = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
GB_MIDNIGHT = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
TICK = timedelta(seconds=20)
MINUTE = timedelta(seconds=60)


def campaign(release: datetime = RELEASE, zone: str = "America/New_York") -> Campaign:
    return Campaign(release_at=release, timezone=zone)


def gap(c: Campaign, markets: list[str], now: datetime) -> timedelta:
    nxt = next_check_at(c, markets, now)
    assert nxt is not None
    assert nxt > now
    return nxt - now


def test_market_midnights_follow_each_market_and_default_to_utc() -> None:
    day = date(2026, 12, 4)
    assert local_midnight("NZ", day) == NZ_MIDNIGHT
    assert local_midnight("US", day) == RELEASE
    assert local_midnight("GB", day) == GB_MIDNIGHT
    assert local_midnight("ZZ", day) == datetime(2026, 12, 4, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "U", "USA", "1X", "U S", "ü1", "XX", "ZZ", "qq", "EU"])
def test_market_codes_are_iso_countries(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        market_code(raw)
    assert info.value.field == "market"


def test_market_code_is_upper_cased() -> None:
    assert market_code(" nz ") == "NZ"


@pytest.mark.parametrize("raw", ["CN", "RU", "KP", "AQ"])
def test_a_country_without_spotify_is_no_market(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        market_code(raw, "--market")
    assert str(info.value).endswith(f"Spotify is not available in {raw}")
    assert info.value.field == "--market"


def test_every_spotify_market_is_a_country_code_and_kosovo() -> None:
    assert {"XK"} == SPOTIFY_MARKETS - ISO_COUNTRIES, "Kosovo: Spotify's own code"
    assert len(ISO_COUNTRIES) == 249
    assert all(market_code(m) == m for m in MARKET_TIMEZONES)


def test_nothing_before_26_hours_ahead() -> None:
    c = campaign()
    start = RELEASE - timedelta(hours=26)
    assert next_check_at(c, ["US"], RELEASE - timedelta(days=5)) == start
    assert next_check_at(c, ["US"], start - timedelta(seconds=1)) == start
    assert next_check_at(c, ["US"], start) is not None


def test_rare_far_from_release() -> None:
    c = campaign()
    now = RELEASE - timedelta(hours=25)
    assert gap(c, ["US", "NZ"], now) == timedelta(minutes=30)


def test_never_sleeps_past_the_start_of_a_busier_period() -> None:
    c = campaign()
    warm_start = NZ_MIDNIGHT - timedelta(minutes=5) - timedelta(hours=2)
    assert next_check_at(c, ["NZ"], warm_start - timedelta(minutes=10)) == warm_start
    hot_start = NZ_MIDNIGHT - timedelta(minutes=5)
    assert next_check_at(c, ["NZ"], hot_start - timedelta(minutes=2)) == hot_start
    assert gap(c, ["NZ"], hot_start - timedelta(minutes=30)) == timedelta(minutes=5)


@pytest.mark.parametrize("offset_min", [-5, -1, 0, 1, 5, 10, 20])
def test_every_minute_near_a_fan_markets_midnight(offset_min: int) -> None:
    c = campaign()
    assert gap(c, ["NZ", "US"], NZ_MIDNIGHT + timedelta(minutes=offset_min)) + TICK <= MINUTE


def test_a_found_markets_midnight_is_not_hot_any_more() -> None:
    c = campaign()
    assert gap(c, ["US"], NZ_MIDNIGHT + timedelta(minutes=1)) > timedelta(minutes=4)


@pytest.mark.parametrize("offset_min", range(-30, 31, 5))
def test_every_minute_within_half_an_hour_of_release(offset_min: int) -> None:
    c = campaign()
    now = RELEASE + timedelta(minutes=offset_min)
    # Even when the fans' only market went live long ago and is still missing.
    for markets in (["US"], ["NZ"], [ANY]):
        assert gap(c, markets, now) + TICK <= MINUTE


def test_stops_when_every_fan_market_is_live_or_48_hours_after_release() -> None:
    c = campaign()
    assert next_check_at(c, [], RELEASE) is None
    assert next_check_at(c, ["US"], RELEASE + timedelta(hours=48)) is None
    assert next_check_at(c, ["US"], RELEASE + timedelta(hours=47, minutes=59)) is None
    late = next_check_at(c, ["US"], RELEASE + timedelta(hours=12))
    assert late is not None and late - (RELEASE + timedelta(hours=12)) == timedelta(minutes=10)


def simulate(c: Campaign, markets: list[str]) -> list[datetime]:
    """The clock ticks every 20 s; a due campaign is looked up and rescheduled."""
    now = c.release_at - timedelta(days=2)
    due = next_check_at(c, markets, now)
    looks: list[datetime] = []
    while due is not None and now < c.release_at + timedelta(hours=49):
        if now >= due:
            looks.append(now)
            due = next_check_at(c, markets, now)
        now += TICK
    return looks


def test_a_whole_watch_looks_often_only_where_it_matters() -> None:
    c = campaign()
    looks = simulate(c, ["NZ", "GB", "US"])
    assert looks[0] == RELEASE - timedelta(hours=26)
    assert looks[-1] < RELEASE + timedelta(hours=48)
    gaps = list(pairwise(looks))
    for hot in (NZ_MIDNIGHT, GB_MIDNIGHT, RELEASE):
        near = [
            b - a for a, b in gaps if hot - timedelta(minutes=5) <= a <= hot + timedelta(minutes=20)
        ]
        assert near and max(near) <= MINUTE, hot
    around_release = [b - a for a, b in gaps if abs(a - RELEASE) <= timedelta(minutes=30)]
    assert max(around_release) <= MINUTE
    far = [b - a for a, b in gaps if a < NZ_MIDNIGHT - timedelta(hours=3)]
    assert far and min(far) >= timedelta(minutes=30)
    assert len(looks) < 700, "the whole 74-hour watch stays a few hundred lookups"


def test_markets_due_looks_at_the_market_whose_midnight_it_is() -> None:
    c = campaign()
    assert markets_due(c, ["NZ", "GB", "US"], NZ_MIDNIGHT + timedelta(minutes=1)) == ["NZ"]
    assert markets_due(c, ["GB", "US"], RELEASE - timedelta(hours=10)) == ["GB"]
    around = markets_due(c, ["US"], RELEASE + timedelta(minutes=1))
    assert around == ["US"]


def test_markets_due_rotates_among_markets_whose_day_has_begun() -> None:
    c = campaign()
    start = RELEASE + timedelta(hours=3)
    picks = {tuple(markets_due(c, ["NZ", "GB"], start + timedelta(minutes=n))) for n in range(4)}
    assert picks == {("NZ",), ("GB",)}
