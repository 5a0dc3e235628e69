"""`presave up` with no environment at all: healthz answers, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.procs import alive, descendants, free_port


def test_up_serves_healthz_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    port = free_port()
    presave = Path(sys.executable).with_name("presave")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    log = (tmp_path / "up.log").open("w+")
    proc = subprocess.Popen(
        [str(presave), "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, (tmp_path / "up.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.3)
        assert status == 200, (tmp_path / "up.log").read_text()[-3000:]
        # The roles: web (gunicorn + workers), worker (+ scheduler), clock, embedded redis.
        time.sleep(1.0)
        children = descendants(proc.pid)
        assert len(children) >= 5, children
        assert (tmp_path / "instance" / "presave.db").exists()
        assert (tmp_path / "instance" / "redis" / "redis.conf").exists()

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in children):
            time.sleep(0.2)
        assert [p for p in children if alive(p)] == []
        assert f"presave is up: http://127.0.0.1:{port}" in (tmp_path / "up.log").read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_up_stops_everything_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    presave = Path(sys.executable).with_name("presave")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [str(presave), "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "presave is up" in line:
                break
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)  # only the supervisor, as a process manager would
        proc.wait(timeout=30)
        time.sleep(0.5)
        assert [p for p in children if alive(p)] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
