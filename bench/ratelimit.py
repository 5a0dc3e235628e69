"""Benchmark: N processes x M threads take slots from one SharedRateLimiter at rate R.

    .venv/bin/python -m bench.ratelimit [--processes 2] [--threads 32] [--rate 300] [--seconds 5]

Every thread loops on `acquire()`. Prints the achieved rate after a warm-up second, the
limit, their ratio (target >= 0.95), the most slots in any 1-second window against the limit
(target <= 1.02, plus the one slot any spacing allows at a window's edge; by Redis time, and
as the threads saw it, which adds their scheduling jitter) and Redis round trips per slot.
Redis: REDIS_URL, or 127.0.0.1:6379 database 13.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import multiprocessing
import os
import threading
import time
import uuid
from typing import ClassVar

from core.redis_conn import connect
from workers.ratelimit import Reservation, SharedRateLimiter

DEFAULT_URL = "redis://127.0.0.1:6379/13"
WARMUP = 1.0
RATIO_TARGET = 0.95
WINDOW_TARGET = 1.02


class CountingLimiter(SharedRateLimiter):
    """A limiter that counts its script calls and keeps the Redis time of each slot taken."""

    calls = itertools.count()
    granted: ClassVar[list[float]] = []

    def _reserve(self, want: int) -> Reservation:
        """Count the round trip, then make it as usual; keep the reserved slots' times."""
        next(self.calls)
        got = super()._reserve(want)
        self.granted.extend(got.times())
        return got


def run_process(
    url: str, name: str, rate: float, threads: int, start_at: float, seconds: float
) -> tuple[list[float], list[float], int]:
    """In one process: `threads` threads acquire until the end; Redis and local grant times."""
    limiter = CountingLimiter(connect(url), name, rate)
    end = start_at + seconds
    seen: list[float] = []

    def loop() -> None:
        time.sleep(max(0.0, start_at - time.time()))
        while (left := end - time.time()) > 0:
            if not limiter.acquire(timeout=left):
                break
            seen.append(time.time())

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return CountingLimiter.granted, seen, next(CountingLimiter.calls)


def max_window(times: list[float], width: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + width) of sorted `times`."""
    return max((bisect.bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


def main() -> int:
    """Run the benchmark and print its figures; nonzero exit when a target is missed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.seconds <= WARMUP + 1 or args.rate <= 0:
        parser.error(f"--seconds must exceed {WARMUP + 1:g} and --rate must be positive")
    url = os.environ.get("REDIS_URL") or DEFAULT_URL
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start_at = time.time() + 2.0  # every process has started its threads by then
    job = (url, name, args.rate, args.threads, start_at, args.seconds)
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.starmap(run_process, [job] * args.processes)
    granted = sorted(t for times, _, _ in results for t in times)
    seen = sorted(t for _, times, _ in results for t in times)
    calls = sum(n for _, _, n in results)
    steady = [t for t in granted if t >= start_at + WARMUP]
    achieved = len(steady) / (args.seconds - WARMUP)
    window = max_window(steady)
    seen_window = max_window([t for t in seen if t >= start_at + WARMUP])
    ratio, window_ok = achieved / args.rate, window <= WINDOW_TARGET * args.rate + 1
    print(f"{args.processes} processes x {args.threads} threads, {args.seconds:g} s, {url}")
    print(f"limit              {args.rate:10.1f} slots/s")
    print(f"achieved           {achieved:10.1f} slots/s (after {WARMUP:g} s warm-up)")
    print(f"ratio              {ratio:10.3f}   (target >= {RATIO_TARGET})")
    print(f"max 1-s window     {window:10d}   ratio {window / args.rate:.3f} "
          f"(target <= {WINDOW_TARGET}, +1 slot)")  # fmt: skip
    print(f"  as threads saw it{seen_window:10d}   ratio {seen_window / args.rate:.3f}")
    print(f"round trips/slot   {calls / max(len(granted), 1):10.2f}")
    return 0 if ratio >= RATIO_TARGET and window_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
