"""A drop-day world for integration tests: sandbox providers, real Redis, real worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from bench.procs import descendants
from cli import migrate
from core.db import dispose_all, transaction
from core.models import Delivery, DeliveryStatus, Fan, PreSave, PreSaveStatus
from core.settings import Settings, load_settings
from sandbox import serve
from sandbox.config import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_DISCORD_BOT_TOKEN
from tests.conftest import base_env
from workers import reconcile

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DropWorld:
    """Everything a drop test touches."""

    env: dict[str, str]
    settings: Settings
    sandbox_url: str
    redis: redis.Redis
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def sandbox(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, f"{self.sandbox_url}/_sandbox/{path}", timeout=30, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def start_worker(self, *, burst: bool = False) -> subprocess.Popen[bytes]:
        log = self.env["INSTANCE_PATH"] + f"/worker-{len(self.workers)}.log"
        self.logs.append(Path(log))
        argv = [sys.executable, "-m", "cli", "worker", *(["--burst"] if burst else [])]
        with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a worker and its work horse, as an OOM killer or a crashed host would.

        RQ puts each work horse in a process group of its own (setpgrp), so killing the
        worker's group would leave the horse running its job to the end: every process
        below the worker is killed by pid, the horse first.
        """
        for pid in sorted(descendants(proc.pid), reverse=True):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert not descendants(proc.pid), "a work horse outlived its worker"

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def run_job(self, func: Callable[..., object], *args: object) -> None:
        """Enqueue a job for the running workers (e.g. the reconcile tick)."""
        from core import queues

        queues.queue(queues.PERIODIC, self.redis).enqueue(func, *args)

    def presave_counts(self) -> dict[str, int]:
        with transaction(self.settings.database_url) as session:
            rows = session.execute(select(PreSave.status, func.count()).group_by(PreSave.status))
            return {str(status): int(n) for status, n in rows}

    def delivery_counts(self) -> dict[str, int]:
        with transaction(self.settings.database_url) as session:
            rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
            return {str(status): int(n) for status, n in rows}

    def sent_count(self) -> int:
        return self.delivery_counts().get(DeliveryStatus.SENT, 0)

    def delivery_status(self, *where: Any) -> str | None:
        """The status of the one delivery to the fan matching `where` (Fan columns)."""
        with transaction(self.settings.database_url) as session:
            query = select(Delivery.status).join(Fan, Fan.id == Delivery.fan_id).where(*where)
            return session.scalar(query)

    def messages_by_number(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.sandbox("GET", "messages")["messages"]:
            counts[message["to"]] = counts.get(message["to"], 0) + 1
        return counts

    def wait_until(self, done: Callable[[], bool], timeout: float = 90.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            dead = [p for p in self.workers if p.poll() not in (None, 0)]
            assert not dead, self.tail()
            time.sleep(0.3)
        raise AssertionError(
            f"timed out waiting for {what}: presaves {self.presave_counts()}, "
            f"deliveries {self.delivery_counts()}\n{self.tail()}"
        )

    def reconcile_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """Run the reconcile tick every 2 s (as the clock would) until `done()`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            self.run_job(reconcile.reconcile)
            time.sleep(2)
        self.wait_until(done, timeout=1, what=what)

    def no_sending(self) -> bool:
        return self.delivery_counts().get(DeliveryStatus.SENDING, 0) == 0

    def tail(self) -> str:
        return "\n".join(f"--- {p}\n{p.read_text()[-3000:]}" for p in self.logs if p.exists())

    def all_saved_and_sent(self, fans: int) -> bool:
        presaves = self.presave_counts()
        deliveries = self.delivery_counts()
        return (
            presaves.get(PreSaveStatus.SAVED, 0) == fans
            and deliveries.get(DeliveryStatus.SENT, 0) == fans
        )


@pytest.fixture
def drop_world(
    tmp_path: Path, redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DropWorld]:
    """Sandbox on 127.0.0.1, migrated SQLite, the test Redis, env for in-process and workers."""
    server, _thread, base = serve(host="127.0.0.1", port=0, status_callbacks=False)
    instance = tmp_path / "instance"
    instance.mkdir()
    env = dict(os.environ)
    env.update(
        base_env(
            instance,
            REDIS_URL=redis_url,
            DATABASE_URL=f"sqlite:///{instance / 'drop.db'}",
            PUBLIC_URL="https://presave.example.test",
            SPOTIFY_API_BASE=f"{base}/v1",
            SPOTIFY_ACCOUNTS_BASE=f"{base}/accounts",
            TWILIO_ACCOUNT_SID=SANDBOX_ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=SANDBOX_AUTH_TOKEN,
            TWILIO_API_BASE=f"{base}/twilio",
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_MPS="200",
            DISCORD_BOT_TOKEN=SANDBOX_DISCORD_BOT_TOKEN,
            DISCORD_API_BASE=f"{base}/discord/api/v10",
            SPOTIFY_MAX_RPS="300",
            PRESAVE_FANOUT_THREADS="8",
            PRESAVE_CLAIM_LEASE_SECONDS="4",
            PRESAVE_SENDING_LEASE_SECONDS="3",
            PRESAVE_RETRY_BACKOFF_SECONDS="1",
            LOG_LEVEL="INFO",
        )
    )
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "TWILIO_MESSAGING_SERVICE_SID"):
        env.pop(name, None)
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    migrate.upgrade(settings.database_url)
    world = DropWorld(env=env, settings=settings, sandbox_url=base, redis=redis_conn)
    try:
        yield world
    finally:
        world.stop_workers()
        server.shutdown()
        dispose_all()
