"""`presave up` as a subprocess on free ports, always stopped with its whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.procs import alive, descendants, free_port

PRESAVE = Path(sys.executable).with_name("presave")


@dataclass
class Up:
    """A running `presave up`: its process, port, folder and log."""

    proc: subprocess.Popen[bytes]
    port: int
    root: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return (self.root / "up.log").read_text(errors="replace")

    def wait_for(self, text: str, seconds: float = 45.0) -> None:
        """Until `text` is in the log (fails, showing the log, when it is not in time)."""
        deadline = time.monotonic() + seconds
        while text not in self.log():
            assert self.proc.poll() is None, self.log()[-3000:]
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.log()[-3000:]}"
            time.sleep(0.1)

    def healthz(self) -> int | None:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:  # noqa: S310
                return int(answer.status)
        except OSError:
            return None

    def presave(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """`presave ARGV` in the same folder and environment, as a second terminal would."""
        return subprocess.run(
            [str(PRESAVE), *argv], cwd=self.root, env=self.env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip


def presave_up(root: Path, **extra: str) -> AbstractContextManager[Up]:
    """`presave up --no-demo` in `root` with nothing set but the port, PUBLIC_URL and `extra`
    (a story makes its own campaigns)."""
    return _presave_up(root, ["--no-demo"], extra)


def presave_up_with_demo(root: Path, **extra: str) -> AbstractContextManager[Up]:
    """`presave up` as `presave_up`, seeding the demo campaign."""
    return _presave_up(root, [], extra)


@contextmanager
def _presave_up(root: Path, flags: list[str], extra: dict[str, str]) -> Iterator[Up]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        **extra,
    }
    with (root / "up.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(PRESAVE), "up", "--port", str(port), *flags],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            yield Up(proc, port, root, env)
        finally:
            children = descendants(proc.pid)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            for pid in children:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
