"""The in-memory, thread-safe state of one sandbox: clock, counters, limits, faults, stores."""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.catalog import Catalog
from sandbox.config import SandboxConfig
from sandbox.discord_store import DiscordStore
from sandbox.spotify_store import SpotifyStore
from sandbox.twilio_store import TwilioStore

ARRIVED = "sandbox.arrived"  # WSGI environ key: when the request arrived (monotonic)
LATE_ARRIVALS_S = 30.0  # a request admitted this long after it arrived still counts
SLEEP_SLICE = 0.25  # a stopping sandbox wakes its sleeping requests within this
FAULT_KINDS = frozenset(
    {"500", "502", "503", "timeout", "401", "403", "429", "quota", "invalid_grant", "dms_closed"}
)


class Clock:
    """UTC now, shifted by an offset tests can move (tokens, releases and expiries follow)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The sandbox's current instant, timezone-aware UTC."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, if negative) and return the new now."""
        self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, instant: datetime) -> datetime:
        """Make now equal `instant` (aware) from this moment on."""
        self._offset = instant - datetime.now(UTC)
        return self.now()

    def reset(self) -> None:
        """Back to real time."""
        self._offset = timedelta(0)


class RollingLimiter:
    """At most rate x window events per rolling window, per key.

    Events are counted at the time given (a request's arrival): requests that arrive in
    order may be admitted out of order, after the added latency, so each key keeps its
    times sorted."""

    def __init__(self) -> None:
        self._events: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def admit(
        self, key: str, rate_per_s: float, window_s: float, at: float | None = None
    ) -> float | None:
        """None when admitted (and counted), else seconds until a slot frees."""
        limit = max(1, round(rate_per_s * window_s))
        now = time.monotonic()
        at = now if at is None else min(at, now)
        with self._lock:
            times = self._events.setdefault(key, [])
            stale = bisect.bisect_right(times, now - window_s - LATE_ARRIVALS_S)
            if stale:
                del times[:stale]
            first = bisect.bisect_right(times, at - window_s)
            last = bisect.bisect_right(times, at)
            if last - first >= limit:
                return times[first] + window_s - at
            times.insert(last, at)
            return None

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()


class ArrivalLog:
    """When each request of a kind arrived (sorted: answers finish out of order), for
    benchmarks: how many over what span, and the most within any one second."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def record(self, key: str, at: float) -> None:
        """One more arrival under `key`."""
        with self._lock:
            bisect.insort(self._times.setdefault(key, []), at)

    def summary(self, key: str) -> dict[str, Any]:
        """count, first, last and max_in_any_1s of the arrivals under `key`."""
        with self._lock:
            times = list(self._times.get(key, []))
        best = start = 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        first, last = (times[0], times[-1]) if times else (0.0, 0.0)
        return {"count": len(times), "first": first, "last": last, "max_in_any_1s": best}

    def clear(self) -> None:
        """Forget every arrival."""
        with self._lock:
            self._times.clear()


class ServiceStats:
    """Request counters of one service (spotify, accounts, twilio, discord)."""

    def __init__(self) -> None:
        self.requests = 0
        self.rate_limited = 0
        self.inflight = 0
        self.max_inflight = 0
        self.peak_rps = 0
        self._second = 0
        self._in_second = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def begin(self) -> None:
        """A request arrived."""
        self.requests += 1
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        self.peak_rps = max(self.peak_rps, self._in_second)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counters."""
        return {
            "requests": self.requests,
            "status_429": self.by_status.get("429", 0),
            "rate_limited": self.rate_limited,
            "inflight": self.inflight,
            "max_inflight": self.max_inflight,
            "peak_rps": self.peak_rps,
            "by_endpoint": dict(self.by_endpoint),
            "by_status": dict(self.by_status),
        }


class Stats:
    """Counters of every service plus named events, behind one lock."""

    SERVICES = ("spotify", "accounts", "twilio", "discord")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services = {name: ServiceStats() for name in self.SERVICES}
        self.events: Counter[str] = Counter()

    def begin(self, service: str) -> None:
        """Count a request's arrival."""
        with self._lock:
            self._services[service].begin()

    def end(self, service: str, endpoint: str, status: int) -> None:
        """Count a request's answer."""
        with self._lock:
            stats = self._services[service]
            stats.inflight -= 1
            stats.by_endpoint[endpoint] += 1
            stats.by_status[str(status)] += 1

    def rate_limited(self, service: str) -> None:
        """Count a 429 given by a rate cap (not a forced one)."""
        with self._lock:
            self._services[service].rate_limited += 1

    def bump(self, event: str, n: int = 1) -> None:
        """Count a named event (saves_before_release, callbacks_sent, ...)."""
        with self._lock:
            self.events[event] += n

    def snapshot(self) -> dict[str, Any]:
        """Every counter, JSON-ready."""
        with self._lock:
            out: dict[str, Any] = {n: s.as_dict() for n, s in self._services.items()}
            out["events"] = dict(self.events)
            return out


@dataclass
class FaultRule:
    """Answer matching requests with a failure, `count` times (None: until cleared)."""

    kind: str
    service: str | None = None
    endpoint: str | None = None
    subject: str | None = None
    count: int | None = None
    retry_after_s: int = 1

    def matches(self, service: str, endpoint: str, subject: str | None) -> bool:
        """True when this rule applies to the request."""
        return (
            self.service in (None, service)
            and self.endpoint in (None, endpoint)
            and self.subject in (None, subject)
        )


class Faults:
    """Forced failures, matched in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        """Add a rule (kind checked)."""
        if rule.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self._rules.append(rule)

    def take(self, service: str, endpoint: str, subject: str | None) -> FaultRule | None:
        """The first rule matching the request, using up one of its count."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, endpoint, subject):
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def list(self) -> list[dict[str, Any]]:
        """The active rules, JSON-ready."""
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()


class SandboxState:
    """Everything one sandbox holds; the HTTP layers only read and call into it."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.initial_config = config or SandboxConfig()
        self.config = self.initial_config
        self.clock = Clock()
        self.stats = Stats()
        self.limiter = RollingLimiter()
        self.arrivals = ArrivalLog()
        self.faults = Faults()
        self.spotify = SpotifyStore()
        self.catalog = Catalog()
        self.twilio = TwilioStore()
        self.discord = DiscordStore(self.clock.now)
        self.stopping = threading.Event()

    def sleep(self, seconds: float) -> None:
        """Sleep without holding any lock; cut short (within SLEEP_SLICE) when the sandbox
        stops. Plain sleeps: a hundred threads waiting on one Event contend for its lock."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self.stopping.is_set():
            time.sleep(min(left, SLEEP_SLICE))

    def reset(self) -> None:
        """Forget all data, counters, faults and clock shifts; restore the initial knobs."""
        self.config = self.initial_config
        self.clock.reset()
        self.stats = Stats()
        self.limiter.clear()
        self.arrivals.clear()
        self.faults.clear()
        self.spotify = SpotifyStore()
        self.catalog = Catalog()
        self.twilio = TwilioStore()
        self.discord = DiscordStore(self.clock.now)
