"""Workers always exit when they should, and outlive a Redis restart when they should not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus

from bench.procs import descendants, free_port
from core import queues
from core.redis_conn import is_up
from workers import jobs
from workers.rq_worker import PresaveWorker

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = "/usr/bin/redis-server"


def wait_until(condition: Callable[[], bool], limit: float, what: str) -> None:
    """Poll `condition` until true; fail naming `what` after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {limit:.0f}s: {what}")
        time.sleep(0.02)


def worker_env(redis_url: str, instance: Path) -> dict[str, str]:
    return dict(os.environ, REDIS_URL=redis_url, PRESAVE_ENV="test", INSTANCE_PATH=str(instance))


def test_a_burst_worker_starts_no_command_listener(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    """RQ's pub/sub thread is what can hang a burst worker's exit (rq issue 1613)."""
    job = queues.queue(queues.PERIODIC, redis_conn).enqueue(
        "tests.integration.worker_probes.command_listeners"
    )
    result = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "--burst"],
        cwd=ROOT,
        env=worker_env(redis_url, tmp_path),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = Job.fetch(job.id, connection=redis_conn)
    assert fetched.get_status() == JobStatus.FINISHED
    assert fetched.return_value() == 0


def test_stopping_the_command_listener_is_bounded(redis_conn: redis.Redis) -> None:
    """The listener thread read our UNSUBSCRIBE and now waits up to 60 s for a subscription:
    the worker's teardown must not wait for it (RQ's joins it without a limit)."""
    worker = PresaveWorker([queues.queue(queues.DEFAULT, redis_conn)], connection=redis_conn)
    worker.subscribe()
    pubsub = worker.pubsub
    assert pubsub is not None and worker.pubsub_thread is not None
    wait_until(lambda: pubsub.subscribed, 5, "the listener subscribed")
    pubsub.unsubscribe()
    wait_until(lambda: not pubsub.subscribed, 5, "the listener read the UNSUBSCRIBE")
    done = threading.Event()
    stopper = threading.Thread(target=lambda: (worker.unsubscribe(), done.set()), daemon=True)
    stopper.start()
    assert done.wait(5), "unsubscribe() still waiting on the listener thread"


class RedisOnPort:
    """A redis-server of our own on a loopback port, with no persistence, restartable."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: is_up(self.url, timeout=0.2), 10, "redis-server answers")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisOnPort]:
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip(f"no {REDIS_SERVER}")
    server = RedisOnPort(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_busy_worker_outlives_a_redis_restart_and_takes_new_jobs(
    own_redis: RedisOnPort, tmp_path: Path
) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=ROOT,
        env=worker_env(own_redis.url, tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        conn = redis.Redis.from_url(own_redis.url, socket_timeout=5)
        queues.queue(queues.DEFAULT, conn).enqueue(
            "tests.integration.worker_probes.hold_until", str(started), str(release)
        )
        wait_until(started.exists, 30, "the worker took the job")
        own_redis.stop()  # Redis goes away while the worker is busy
        release.touch()
        # The job ends with Redis still down; the work horse (and the scheduler) exit.
        wait_until(lambda: not descendants(worker.pid), 20, "the work horse and scheduler ended")
        assert worker.poll() is None, "the worker quit when Redis went away"
        own_redis.start()  # empty: no persistence
        conn = redis.Redis.from_url(own_redis.url, socket_timeout=5)
        job = queues.queue(queues.PERIODIC, conn).enqueue(jobs.heartbeat)
        wait_until(
            lambda: job.get_status(refresh=True) == JobStatus.FINISHED,
            20,
            "a job queued after the restart was done",
        )
        assert worker.poll() is None
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            code = worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            raise
        log.close()
    assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]
