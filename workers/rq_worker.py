"""RQ's worker, made to outlive a Redis restart and to always exit when asked."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import redis
from rq import Worker

log = logging.getLogger(__name__)
# Redis errors a worker rides out: the server restarting, a socket closed under it.
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)
LISTENER_JOIN_SECONDS = 1.0
SCHEDULER_JOIN_SECONDS = 5.0


class PresaveWorker(Worker):
    """A Worker whose command listener is optional and bounded, and whose bookkeeping
    writes to Redis (heartbeats, death, shutdown date) never end it when Redis is down."""

    # RQ doubles its wait between tries to reach Redis up to a minute; work should resume
    # within seconds of Redis coming back.
    max_connection_wait_time = 2.0

    def __init__(self, *args: Any, listen: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # RQ's pub/sub thread takes `rq` commands (shutdown, kill-horse); a burst worker
        # ends on its own, so it starts none and has none to join on exit.
        self.listen = listen
        self.stop_asked = False

    def subscribe(self) -> None:
        """Listen for commands, unless this worker was built not to."""
        if self.listen:
            super().subscribe()  # type: ignore[no-untyped-call]

    def unsubscribe(self) -> None:
        """Stop the listener, waiting a bounded time for its thread (a daemon thread).

        RQ joins it without a limit; the thread can sit in `get_message(timeout=60)` waiting
        for a subscription after it read our UNSUBSCRIBE (rq issue 1613).
        """
        thread, pubsub = self.pubsub_thread, self.pubsub
        self.pubsub_thread = None
        if thread is None or pubsub is None:
            return
        with contextlib.suppress(*REDIS_DOWN):
            pubsub.unsubscribe()
        thread.stop(timeout=LISTENER_JOIN_SECONDS)
        with contextlib.suppress(*REDIS_DOWN):
            pubsub.close()

    def stop_scheduler(self) -> None:
        """Stop the scheduler process, killing it when it does not stop in time."""
        process = self.scheduler._process if self.scheduler else None
        if process is None or not process.pid:
            return
        process.terminate()
        process.join(SCHEDULER_JOIN_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(SCHEDULER_JOIN_SECONDS)

    def handle_warm_shutdown_request(self) -> None:
        """Remember that we were told to stop (SIGTERM, SIGINT), as opposed to losing Redis."""
        self.stop_asked = True
        super().handle_warm_shutdown_request()  # type: ignore[no-untyped-call]

    def set_shutdown_requested_date(self) -> None:
        """Record the shutdown request; a Redis outage must not turn it into a crash."""
        with contextlib.suppress(*REDIS_DOWN):
            super().set_shutdown_requested_date()  # type: ignore[no-untyped-call]

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """Keep the worker's key alive; while Redis is away, skip it (the job goes on)."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        try:
            super().heartbeat(timeout)
        except REDIS_DOWN as exc:
            log.debug("worker %s: heartbeat skipped, Redis unreachable (%s)", self.name, exc)

    def maintain_heartbeats(self, job: Any) -> None:
        """The busy worker's heartbeats; while Redis is away the horse keeps working."""
        try:
            super().maintain_heartbeats(job)
        except REDIS_DOWN as exc:
            log.warning("worker %s: job heartbeat skipped, Redis unreachable (%s)", self.name, exc)

    def teardown(self) -> None:
        """Stop the scheduler and listener and register death; each step despite Redis."""
        if self.is_horse:
            return
        if self.scheduler:
            self.stop_scheduler()
        with contextlib.suppress(*REDIS_DOWN):
            self.register_death()  # type: ignore[no-untyped-call]
        self.unsubscribe()
