"""Benchmark: the artist's CSV downloads (fans.csv, events.csv) at 10,000 and 100,000 fans.

    .venv/bin/python -m bench.exports [--database sqlite|postgres] [--fans 100000]
        [--small 10000] [--events-per-fan 10] [--repeat 3]

Seeds the dashboard benchmark's campaign (bench/dashboard_seed.py: fans on SMS and Discord,
pre-saves in every status, 4% of consents opted out, `--events-per-fan` events per fan) once
at `--small` fans and once at `--fans`, in two fresh databases. For each file it GETs the
download through the Flask test client, signed in as a member of the campaign's team, and
reads the streamed body to its end: rows per second (best of `--repeat`), with its ratio to
the issue's target (>= 20,000 rows/s), and the peak of Python memory allocated while one
download streams (tracemalloc, a separate pass). Memory is flat when the peak at `--fans` is
at most 1.5 times the peak at `--small`. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient

from bench.dashboard import analyze
from bench.dashboard_pages import signed_in_client
from bench.dashboard_seed import seed
from bench.webhook import database_url
from cli import migrate
from core.db import dispose_all
from core.timeutil import utcnow

TARGET_ROWS_PER_S = 20_000.0
FLAT = 1.5  # the most the peak may grow from the small campaign to the big one
FILES = ("fans.csv", "events.csv")


@dataclass(frozen=True)
class Figure:
    """One file at one campaign size."""

    fans: int
    file: str
    rows: int
    seconds: float
    peak_kib: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def read_all(client: FlaskClient, path: str) -> int:
    """GET `path` and read the streamed body to its end; the number of data rows."""
    response = client.get(path)
    assert response.status_code == 200 and response.is_streamed, (path, response.status_code)
    lines = sum(piece.count(b"\r\n") for piece in response.iter_encoded())
    return lines - 1  # the header


def peak_kib(client: FlaskClient, path: str) -> float:
    """Python memory allocated at the peak of one download, above what was held before."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read_all(client, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - before) / 1024


def measure(kind: str, fans: int, events_per_fan: int, repeat: int) -> list[Figure]:
    """Seed a fresh database with `fans` fans and time both downloads."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    url, drop_db = database_url(kind, workdir)
    try:
        migrate.upgrade(url)
        start = time.perf_counter()
        seeded = seed(url, fans, fans * events_per_fan, utcnow())
        analyze(url)
        print(f"seeded {fans} fans, {fans * events_per_fan} events on {kind} "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        client = signed_in_client(url, seeded.artist_id)
        figures = []
        for name in FILES:
            path = f"/app/campaigns/{seeded.campaign_id}/{name}"
            read_all(client, path)  # warm-up: caches, statement compilation
            best, rows = float("inf"), 0
            for _ in range(repeat):
                began = time.perf_counter()
                rows = read_all(client, path)
                best = min(best, time.perf_counter() - began)
            figures.append(Figure(fans, name, rows, best, peak_kib(client, path)))
        return figures
    finally:
        dispose_all()
        drop_db()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--fans", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--events-per-fan", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not 1_000 <= args.small < args.fans <= 1_000_000:
        parser.error("need 1000 <= --small < --fans <= 1000000")
    if not 0 <= args.events_per_fan <= 20:
        parser.error("--events-per-fan must be from 0 to 20")
    if not 1 <= args.repeat <= 20:
        parser.error("--repeat must be from 1 to 20")

    figures = [
        figure
        for fans in (args.small, args.fans)
        for figure in measure(args.database, fans, args.events_per_fan, args.repeat)
    ]
    print(f"{'fans':>8} {'file':<11} {'rows':>9} {'s':>7} {'rows/s':>9} {'/target':>8} "
          f"{'peak KiB':>9}")  # fmt: skip
    for f in figures:
        print(f"{f.fans:>8} {f.file:<11} {f.rows:>9} {f.seconds:7.2f} {f.rate:9.0f} "
              f"{f.rate / TARGET_ROWS_PER_S:8.2f} {f.peak_kib:9.0f}")  # fmt: skip
    failed = [f"{f.file} at {f.fans} fans: {f.rate:.0f} rows/s" for f in figures
              if f.rate < TARGET_ROWS_PER_S]  # fmt: skip
    for name in FILES:
        small, big = (f for f in figures if f.file == name)
        growth = big.peak_kib / small.peak_kib
        print(f"{name}: peak memory x{growth:.2f} from {small.fans} to {big.fans} fans "
              f"(rows x{big.rows / max(small.rows, 1):.1f}; flat means <= x{FLAT})")  # fmt: skip
        if growth > FLAT:
            failed.append(f"{name} memory grew x{growth:.2f}")
    print(f"targets: >= {TARGET_ROWS_PER_S:.0f} rows/s per file, peak memory <= x{FLAT}")
    if failed:
        print("missed: " + "; ".join(failed))
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
