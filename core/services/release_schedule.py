"""When to look a campaign's release up, and in which markets: the polling policy (pure).

`next_check_at`, with T the campaign's release time and M the local
midnight of each market still to find, on the release day (T's date in the artist's zone):

| when                                                   | next look              |
| ------------------------------------------------------ | ---------------------- |
| before T - 26 h                                        | at T - 26 h            |
| T - 30 min .. T + 30 min, or M - 5 min .. M + 20 min   | 40 s (hot)             |
| within 2 h of a hot period                             | 5 min (warm)           |
| after T and every hot period, still missing markets    | 10 min (late)          |
| otherwise (far from release)                           | 30 min (cold)          |
| every fan market found, or T + 48 h passed             | never (None)           |

A next look never skips the start of a busier period. 40 s with the clock's 20 s tick means
a lookup at least once a minute while hot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.markets import local_midnight
from core.models import Campaign

WATCH_BEFORE = timedelta(hours=26)
WATCH_AFTER = timedelta(hours=48)
RELEASE_HOT = timedelta(minutes=30)
MIDNIGHT_HOT_BEFORE = timedelta(minutes=5)
MIDNIGHT_HOT_AFTER = timedelta(minutes=20)
WARM_MARGIN = timedelta(hours=2)
HOT = timedelta(seconds=40)
WARM = timedelta(minutes=5)
LATE = timedelta(minutes=10)
COLD = timedelta(minutes=30)


def release_day(campaign: Campaign) -> date:
    """The release date in the artist's time zone: the day each market's midnight starts."""
    return campaign.release_at.astimezone(ZoneInfo(campaign.timezone or "UTC")).date()


def market_midnight(campaign: Campaign, market: str) -> datetime:
    """When the release day starts in `market` (`*`: where it starts first, New Zealand)."""
    return local_midnight(market, release_day(campaign))


def _hot_windows(campaign: Campaign, markets: Iterable[str]) -> list[tuple[datetime, datetime]]:
    release = campaign.release_at
    windows = [(release - RELEASE_HOT, release + RELEASE_HOT)]
    for market in markets:
        midnight = market_midnight(campaign, market)
        windows.append((midnight - MIDNIGHT_HOT_BEFORE, midnight + MIDNIGHT_HOT_AFTER))
    return windows


def next_check_at(campaign: Campaign, markets: Sequence[str], now: datetime) -> datetime | None:
    """When to look next for `markets` (those not found yet); None: stop. See the table above."""
    release = campaign.release_at
    start, end = release - WATCH_BEFORE, release + WATCH_AFTER
    if not markets or now >= end:
        return None
    if now < start:
        return start
    windows = _hot_windows(campaign, markets)
    if any(a <= now <= b for a, b in windows):
        step = HOT
    elif any(a - WARM_MARGIN <= now <= b + WARM_MARGIN for a, b in windows):
        step = WARM
    elif now > release and all(now > b for _, b in windows):
        step = LATE
    else:
        step = COLD
    candidate = now + step
    for a, _ in windows:
        for boundary in (a - WARM_MARGIN, a):
            if now < boundary < candidate:
                candidate = boundary
    return candidate if candidate < end else None


def markets_due(campaign: Campaign, pending: Sequence[str], now: datetime) -> list[str]:
    """Which pending markets to look up now.

    Every market in its midnight's hot period; otherwise (and around the release time) one
    market, rotating each minute among those whose release day has begun (the earliest
    midnight when none has).
    """
    turn = int(now.timestamp() // 60)
    midnights = {m: market_midnight(campaign, m) for m in pending}
    hot = [
        m
        for m, at in midnights.items()
        if at - MIDNIGHT_HOT_BEFORE <= now <= at + MIDNIGHT_HOT_AFTER
    ]
    if hot:  # rotate, so a budget cut short never starves the same market
        hot = hot[turn % len(hot) :] + hot[: turn % len(hot)]
    in_release = abs(now - campaign.release_at) <= RELEASE_HOT
    if hot and not in_release:
        return hot
    begun = [m for m, at in midnights.items() if at - MIDNIGHT_HOT_BEFORE <= now]
    choices = begun or list(pending[:1])
    if not choices:
        return hot
    pick = choices[turn % len(choices)]
    return hot if pick in hot else [*hot, pick]
