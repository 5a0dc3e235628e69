"""Watching a benchmark run: worker memory while it goes, the database's tallies, the
stand-in's arrival figures."""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bench.procs import peak_rss_mb, rss_mb, tree
from core.db import read_only
from core.models import Delivery, DeliveryStatus


@dataclass
class Watched:
    """What a watch saw: each process's peak memory, and the largest worker's memory now
    against progress (to show it flat, or growing with the fans done)."""

    peak_mb: dict[int, float] = field(default_factory=dict)
    samples: list[tuple[int, float]] = field(default_factory=list)

    @property
    def peak(self) -> float:
        """The highest peak of any worker process, MB."""
        return max(self.peak_mb.values(), default=0.0)


def until_done(
    workers: list[subprocess.Popen[bytes]],
    progress: Callable[[], int],
    target: int,
    timeout: float,
) -> Watched:
    """Poll until progress() reaches target. The harness shares the two cores with what it
    measures: memory is read every 2 s (a peak can be short), progress only every 6 s (a
    count costs CPU and holds a WAL snapshot). SystemExit after `timeout` seconds."""
    watched = Watched()
    t0 = time.monotonic()
    done = 0
    for tick in itertools.count():
        pids = tree(workers)
        for pid in pids:
            watched.peak_mb[pid] = max(watched.peak_mb.get(pid, 0.0), peak_rss_mb(pid) or 0.0)
        if tick % 3 == 2:
            done = progress()
            watched.samples.append((done, max((rss_mb(p) for p in pids), default=0.0)))
            if done >= target:
                return watched
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"timed out: {done} of {target} done")
        time.sleep(2.0)
    raise AssertionError("unreachable")


def deliveries_in(db_url: str, statuses: Iterable[DeliveryStatus]) -> int:
    """How many deliveries have one of these statuses (an index count)."""
    with read_only(db_url) as session:
        query = select(func.count()).where(Delivery.status.in_(tuple(statuses)))
        return int(session.scalar(query) or 0)


def delivery_fates(db_url: str) -> dict[str, int]:
    """Deliveries by status."""
    with read_only(db_url) as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return {str(status): int(n) for status, n in rows}


def arrival_rate(arrivals: dict[str, Any]) -> tuple[float, float]:
    """(span in seconds, requests/s) from the stand-in's arrival log: first to last arrival."""
    span = max(float(arrivals["last"]) - float(arrivals["first"]), 1e-9)
    return span, (int(arrivals["count"]) - 1) / span
