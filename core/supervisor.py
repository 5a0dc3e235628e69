"""`presave up`: every role as a child process in the foreground; Ctrl-C stops them all."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from types import FrameType

from core import migrate
from core.redis_conn import die_with_parent, ensure_redis, env_with_redis
from core.settings import Settings

STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 60.0
# Access lines with personal link codes and OAuth code/state redacted (web/access_log.py).
ACCESS_LOGGER = "web.access_log.RedactingLogger"


def gunicorn_argv(port: int, workers: int = 2) -> list[str]:
    """The command line of the web role."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}" if port else "127.0.0.1:0",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        "--logger-class",
        ACCESS_LOGGER,
        "web:create_app()",
    ]


def _role(name: str) -> list[str]:
    return [sys.executable, "-m", "cli", name]


@dataclass
class Supervisor:
    """Starts children, watches them, and stops them all on a signal or a crash."""

    env: dict[str, str]
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False

    def spawn(self, name: str, argv: list[str]) -> None:
        """Start one role."""
        self.children[name] = subprocess.Popen(
            argv, env=self.env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
        )

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        """Signal handler: stop on the next loop turn."""
        self.stopping = True

    def crashed(self) -> str | None:
        """The name of a child that exited on its own, if any."""
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def stop_all(self) -> None:
        """SIGTERM every child, then SIGKILL what is left after the grace period."""
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_ready(url: str, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not supervisor.stopping:
        if supervisor.crashed():
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run_all(settings: Settings, *, port: int) -> int:
    """Migrate, start Redis if needed, run every role until Ctrl-C or SIGTERM."""
    migrate.upgrade(settings.database_url)
    redis_url, embedded = ensure_redis(settings.redis_url, settings.instance_path)
    supervisor = Supervisor(env=env_with_redis(redis_url))
    previous = {
        sig: signal.signal(sig, supervisor.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    local_url = f"http://127.0.0.1:{port}"
    exit_code = 0
    try:
        supervisor.spawn("web", gunicorn_argv(port))
        supervisor.spawn("worker", _role("worker"))
        supervisor.spawn("clock", _role("clock"))
        if settings.discord_bot_token:
            supervisor.spawn("bot", _role("bot"))
        if _wait_ready(local_url, supervisor):
            print(f"presave is up: {local_url}  (public URL {settings.public_url})", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
        while not supervisor.stopping:
            name = supervisor.crashed()
            if name is not None:
                print(f"error: {name} exited; stopping everything", file=sys.stderr)
                exit_code = 1
                break
            time.sleep(0.2)
    finally:
        supervisor.stop_all()
        if embedded is not None:
            embedded.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_code
