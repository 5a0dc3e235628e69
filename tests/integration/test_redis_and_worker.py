"""Embedded Redis start/stop, and a job run by a real RQ worker in burst mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus

from bench.procs import alive
from core import queues
from core.redis_conn import EmbeddedRedis, is_up
from workers import clock, jobs
from workers.jobs import HEARTBEAT_KEY
from workers.runner import SWITCH_INTERVAL
from workers.schedule import SCHEDULE


def test_embedded_redis_starts_keeps_data_in_instance_and_stops(tmp_path: Path) -> None:
    directory = tmp_path / "instance" / "redis"
    server = EmbeddedRedis(directory)
    url = server.start()
    pid = server.pid
    assert pid is not None and alive(pid)
    conn = redis.Redis.from_url(url)
    conn.set("k", "v")
    assert conn.get("k") == b"v"
    conn.close()
    server.stop()
    assert not alive(pid)
    assert not is_up(url)
    assert (directory / "redis.rdb").exists(), "data saved on stop into the instance folder"
    again = EmbeddedRedis(directory)
    url2 = again.start()
    assert redis.Redis.from_url(url2).get("k") == b"v"
    again.stop()


def test_second_starter_reuses_and_leaves_it_running(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path / "r")
    url = first.start()
    second = EmbeddedRedis(tmp_path / "r")
    assert second.start() == url
    assert not second.owned
    second.stop()
    assert is_up(url)
    first.stop()
    assert not is_up(url)


def test_job_runs_on_a_real_worker_in_burst_mode(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    job = queues.queue(queues.PERIODIC, redis_conn).enqueue(jobs.heartbeat)
    # The work horse's GIL switch interval (the fan-out's requests leave on time with it).
    interval = queues.queue(queues.PERIODIC, redis_conn).enqueue("sys.getswitchinterval")
    env = dict(os.environ, REDIS_URL=redis_url, PRESAVE_ENV="test", INSTANCE_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = Job.fetch(job.id, connection=redis_conn)
    assert fetched.get_status() == JobStatus.FINISHED
    assert redis_conn.get(HEARTBEAT_KEY) == str(fetched.return_value()).encode()
    assert Job.fetch(interval.id, connection=redis_conn).return_value() == SWITCH_INTERVAL
    assert sys.getswitchinterval() > SWITCH_INTERVAL, "not this process's default"


def test_clock_tick_enqueues_each_periodic_job_once(redis_conn: redis.Redis) -> None:
    last: dict[str, float] = {}
    first = clock.tick(redis_conn, last, now=1_000_020.0)
    assert "periodic-heartbeat-33334" in first
    assert len(first) == len(SCHEDULE)  # everything is due on the first tick
    assert clock.tick(redis_conn, last, now=1_000_025.0) == []
    again = clock.tick(redis_conn, last, now=1_000_050.0)
    assert "periodic-heartbeat-33335" in again
    due = {f"periodic-{i.name}-{int(1_000_050 // i.every)}" for i in SCHEDULE if i.every <= 30}
    assert set(again) == due
    assert queues.queue(queues.PERIODIC, redis_conn).count == len(first) + len(again)


@pytest.mark.parametrize("name", ["nope"])
def test_unknown_queue_is_refused(redis_conn: redis.Redis, name: str) -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        queues.queue(name, redis_conn)
