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
from tests.integration.up_helpers import Up, presave_up


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
        said = (tmp_path / "up.log").read_text()
        assert f"presave is up: http://127.0.0.1:{port}" in said
        # Nothing set: the Spotify stand-in has no user cap, every sandbox fan can connect.
        assert "Spotify stand-in: SPOTIFY_QUOTA_MODE=extended" in said
        # Every provider is the stand-in: the demo campaign is seeded, its sign-in printed.
        assert f"demo: open http://127.0.0.1:{port}/sandbox/ " in said
        assert f"demo: sign in at http://127.0.0.1:{port}/app/sign-in as demo-artist@" in said
        assert (tmp_path / "instance" / "demo.json").stat().st_mode & 0o777 == 0o600
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


def _role_pids(up: Up, role: str) -> set[int]:
    """The pids of `presave ROLE` processes under this `presave up`."""
    found = set()
    for pid in descendants(up.proc.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1:4] == [b"-m", b"cli", role.encode()]:
            found.add(pid)
    return found


def test_a_role_that_dies_is_started_again_while_web_keeps_answering(
    tmp_path: Path, redis_url: str
) -> None:
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        [clock] = _role_pids(up, "clock")
        os.kill(clock, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while not (_role_pids(up, "clock") - {clock}) or "starting clock again" not in up.log():
            assert up.healthz() == 200, up.log()[-3000:]  # web stays up meanwhile
            assert up.proc.poll() is None, up.log()[-3000:]
            assert time.monotonic() < deadline, up.log()[-3000:]
            time.sleep(0.1)
        assert "presave up: clock exited with code -9 at " in up.log()
        assert "starting it again in 1s" in up.log()
        assert up.healthz() == 200


def test_a_discord_token_in_sandbox_mode_starts_no_gateway_bot_and_all_stays_up(
    tmp_path: Path, redis_url: str
) -> None:
    sandbox_base = f"http://127.0.0.1:{free_port()}/discord/api/v10"
    token = {"DISCORD_BOT_TOKEN": "sandbox-discord-bot-token", "DISCORD_API_BASE": sandbox_base}
    with presave_up(tmp_path, REDIS_URL=redis_url, **token) as up:
        up.wait_for("presave is up")
        up.wait_for("clock started")
        up.wait_for("Listening on")
        assert _role_pids(up, "bot") == set()
        assert "Discord: no gateway bot" in up.log()
        assert "exited with code" not in up.log()
        assert up.healthz() == 200 and up.proc.poll() is None
