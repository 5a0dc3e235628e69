"""Benchmark: the analytics on one campaign of 100,000 fans and 1,000,000 events.

    .venv/bin/python -m bench.analytics [--database sqlite|postgres] [--fans 100000]
        [--events 1000000] [--repeat 30] [--writes 300] [--page PATH ...]

Seeds the campaign (bench.analytics_seed), fills the funnel rollups with `presave stats
rebuild`'s function (timed), then times every stats function: p50 and p95 over `--repeat`
calls, each in its own read-only session as a request would have, with its ratio to the
issue's limit (p95 < 200 ms). The analytics pages and the API's stats endpoints are timed
the same way through Flask's test client (bench/analytics_http.py), signed in to the
campaign's team or with its read token; more pages: one line in PAGES (or `--page PATH`;
`{c}` stands for the campaign's id). Last, the incremental cost: microseconds per `events.record`
(a funnel step of a known fan, in its own transaction) and per 300-row `events.record_many`
(the drop-day batch), with the rollups and without (the funnel rollups' and the message
reactions' updates replaced by no-ops), alternated. Exit 1 when any read is over the limit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest import mock

from bench.analytics_http import http_measurements
from bench.analytics_seed import seed_analytics
from bench.dashboard import analyze, p95, timed
from bench.webhook import database_url
from cli import migrate
from core.db import dispose_all, read_only, transaction
from core.services import (
    events,
    funnel_rebuild,
    funnel_rollups,
    message_reactions,
    message_stats,
    stats,
    stats_series,
)
from core.services.stats_filters import parse_filters
from core.timeutil import utcnow

LIMIT_MS = 200.0
Measurement = tuple[str, Callable[[], object]]
# Pages and API URLs to time (GET, 200 expected), e.g. "/app/campaigns/{c}/stats".
PAGES: tuple[str, ...] = ()


def measurements(url: str, campaign: int, team: int) -> list[Measurement]:
    """Every stats read, by name."""

    def run(read: Callable[..., object], *args: object) -> Callable[[], object]:
        def call() -> object:
            with read_only(url) as session:
                return read(session, *args)

        return call

    now = utcnow()
    narrow = parse_filters(source="tiktok", channel="sms", country="US", region="CA")
    window = parse_filters(since=(now - timedelta(days=7)).isoformat(), until=now.isoformat())
    sms_week = parse_filters(channel="sms", since=window.since)
    rows: list[Measurement] = [
        ("funnel", run(stats.funnel, campaign)),
        ("funnel: source+channel+country+region", run(stats.funnel, campaign, narrow)),
        ("funnel: last 7 days", run(stats.funnel, campaign, window)),
    ]
    rows += [(f"breakdown: {d}", run(stats.breakdown, campaign, d, None)) for d in stats.DIMENSIONS]
    rows += [
        ("breakdown: country, sms, 7 days",
         run(stats.breakdown, campaign, "country", sms_week)),
        ("opt-ins hourly", run(stats_series.optins_hourly, campaign)),
        ("opt-ins daily", run(stats_series.optins_daily, campaign)),
        ("saves by minute", run(stats_series.saves_by_minute, campaign)),
        ("saves by minute: country=US", run(stats_series.saves_by_minute, campaign,
                                            parse_filters(country="US"))),
        ("team comparison (5 releases)", run(stats.team_comparison, team)),
        ("message stats (3 messages)", run(message_stats.for_campaign, campaign)),
    ]  # fmt: skip
    return rows


def page_measurements(url: str, campaign: int, artist: int, paths: list[str]) -> list[Measurement]:
    """GETs of `paths` ({c}: the campaign's id) through the app's test client, signed in."""
    if not paths:
        return []
    from bench.dashboard_pages import signed_in_client

    client = signed_in_client(url, artist)

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    return [(f"GET {p}", get(p.format(c=campaign))) for p in paths]


def _fans(url: str, campaign: int, count: int) -> list[int]:
    from sqlalchemy import select

    from core.models import FunnelFact

    with read_only(url) as session:
        return list(
            session.scalars(
                select(FunnelFact.fan_id).where(FunnelFact.campaign_id == campaign).limit(count)
            )
        )


def write_cost(url: str, campaign: int, writes: int) -> dict[str, tuple[float, float]]:
    """Mean µs per record / per 300-row record_many, with rollups and without, alternated."""
    fans = _fans(url, campaign, 300)
    batch = [{"campaign_id": campaign, "fan_id": f, "country": "US"} for f in fans]
    out: dict[str, list[list[float]]] = {"record": [[], []], "record_many(300)": [[], []]}

    def one(with_rollups: bool) -> None:
        rollups = mock.patch.object(funnel_rollups, "apply")
        reactions = mock.patch.object(message_reactions, "apply")
        with (
            rollups if not with_rollups else mock.MagicMock(),
            reactions if not with_rollups else mock.MagicMock(),
        ):
            for n in range(writes):
                start = time.perf_counter()
                with transaction(url) as session:
                    events.record(session, "link_click", campaign_id=campaign,
                                  fan_id=fans[n % len(fans)], source="bench")  # fmt: skip
                out["record"][0 if with_rollups else 1].append(time.perf_counter() - start)
            for _ in range(max(3, writes // 30)):
                start = time.perf_counter()
                with transaction(url) as session:
                    events.record_many(session, "saved", batch)
                out["record_many(300)"][0 if with_rollups else 1].append(
                    time.perf_counter() - start
                )

    for _ in range(2):  # alternate: with, without, with, without
        one(True)
        one(False)
    return {
        name: (statistics.mean(a) * 1e6, statistics.mean(b) * 1e6) for name, (a, b) in out.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--fans", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--page", action="append", default=[], metavar="PATH",
                        help="also time GET PATH ({c}: the campaign's id); repeatable")  # fmt: skip
    args = parser.parse_args()
    if not 100 <= args.fans <= 1_000_000:
        parser.error("--fans must be from 100 to 1000000")
    if not 2 * args.fans <= args.events <= 10_000_000:
        parser.error("--events must be from twice --fans to 10000000")
    if not 5 <= args.repeat <= 1000:
        parser.error("--repeat must be from 5 to 1000")
    if not 30 <= args.writes <= 10_000:
        parser.error("--writes must be from 30 to 10000")

    workdir = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    url, drop_db = database_url(args.database, workdir)
    failed = []
    try:
        migrate.upgrade(url)
        start = time.perf_counter()
        seeded, team = seed_analytics(url, args.fans, args.events, utcnow())
        print(f"seeded {args.fans} fans, {args.events} events on {args.database} "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        start = time.perf_counter()
        with transaction(url) as session:
            done = funnel_rebuild.rebuild(session, seeded.campaign_id)
        print(f"rebuild of the campaign: {time.perf_counter() - start:.2f} s "
              f"({done.facts_written} fans, {done.hours_written} page-view hours, "
              f"{done.reactions_written} message reactions)")  # fmt: skip
        analyze(url)
        print(f"{'read':<44} {'p50 ms':>8} {'p95 ms':>8} {'p95/limit':>10}")
        reads = measurements(url, seeded.campaign_id, team)
        reads += http_measurements(url, seeded.campaign_id, seeded.artist_id)
        reads += page_measurements(url, seeded.campaign_id, seeded.artist_id,
                                   [*PAGES, *args.page])  # fmt: skip
        for name, call in reads:
            times = timed(call, args.repeat)
            high = p95(times)
            print(f"{name:<44} {statistics.median(times):8.2f} {high:8.2f} {high / LIMIT_MS:10.2f}")
            if high >= LIMIT_MS:
                failed.append(name)
        print(f"{'write (own transaction)':<44} {'with µs':>10} {'without µs':>11} {'added µs':>9}")
        for name, (with_, without) in write_cost(url, seeded.campaign_id, args.writes).items():
            print(f"{name:<44} {with_:10.0f} {without:11.0f} {with_ - without:9.0f}")
    finally:
        dispose_all()
        drop_db()
    print(f"limit: p95 < {LIMIT_MS:.0f} ms per read")
    if failed:
        print("over the limit: " + ", ".join(failed))
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
