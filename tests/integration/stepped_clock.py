"""A clock that moves only when a test steps it, for the limiter's threads: what they do at
each instant no longer depends on how the machine schedules them.

`SteppedClock` stands in for the `time` module inside `workers.ratelimit` (monotonic and
sleep). It counts the limiter's threads that can still make progress: a thread sleeping on
this clock, or waiting to be woken by another waiter, counts as idle. `settle()` waits until
none can (a bounded real-time wait), and only then may the test start a thread or step the
clock, so every step sees the same interleaving on any machine, loaded or not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

REAL_TIMEOUT = 20.0  # seconds of real time any one wait may take before the test fails


class SteppedClock:
    """Virtual seconds, moved by `step`; `sleep` returns once the clock has passed its end."""

    def __init__(self) -> None:
        self.now = 0.0
        self._cond = threading.Condition()
        self._busy = 0  # threads that can still make progress
        self._sleepers: list[list[Any]] = []  # [wakes at, woken]

    def monotonic(self) -> float:
        """The virtual time."""
        with self._cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        """Idle until the clock has been stepped past now + `seconds`."""
        if seconds <= 0:
            return
        with self._cond:
            sleeper = [self.now + seconds, False]
            self._sleepers.append(sleeper)
            self._busy -= 1
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: sleeper[1], timeout=REAL_TIMEOUT):
                raise AssertionError("the clock was not stepped: a thread slept forever")

    def step(self, seconds: float) -> None:
        """Move the clock on; the sleepers whose time came can make progress again."""
        with self._cond:
            self.now += seconds
            for sleeper in self._sleepers:
                if not sleeper[1] and sleeper[0] <= self.now:
                    sleeper[1] = True
                    self._busy += 1
            self._sleepers = [s for s in self._sleepers if not s[1]]
            self._cond.notify_all()

    def settle(self) -> None:
        """Wait (real time, bounded) until no thread can make progress without a step."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._busy == 0, timeout=REAL_TIMEOUT):
                raise AssertionError(f"{self._busy} limiter threads never went idle")

    def start(self, target: Callable[[], object]) -> threading.Thread:
        """Start a thread running `target`, counted as busy until it ends or idles."""

        def run() -> None:
            try:
                target()
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

        with self._cond:
            self._busy += 1
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def wake_lock(self) -> CountedLock:
        """A held lock whose blocked acquirer counts as idle until it is released."""
        return CountedLock(self)


class CountedLock:
    """A waiter's wake-up lock (created held): blocking on it idles the thread; the thread
    that releases it makes the sleeper busy again before it even runs."""

    def __init__(self, clock: SteppedClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._lock.acquire()
        self._blocked = False

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        cond = self._clock._cond
        with cond:
            self._blocked = True
            self._clock._busy -= 1
            cond.notify_all()
        got = self._lock.acquire(blocking, min(timeout, REAL_TIMEOUT) if timeout >= 0 else -1)
        with cond:
            if self._blocked:  # not released: it gave up waiting, and is running again
                self._blocked = False
                self._clock._busy += 1
        return got

    def release(self) -> None:
        with self._clock._cond:
            if self._blocked:
                self._blocked = False
                self._clock._busy += 1
        self._lock.release()
