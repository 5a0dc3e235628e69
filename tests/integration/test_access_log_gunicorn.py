"""The web role as `presave up` starts it writes access lines with link codes and OAuth
secrets redacted."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.procs import free_port
from core.supervisor import gunicorn_argv
from tests.conftest import base_env

ROOT = Path(__file__).resolve().parents[2]
CODE = "secret-link-code-1234"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def test_gunicorn_access_lines_hide_link_codes_and_oauth_secrets(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(tmp_path / "instance", PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'presave.db'}"
    log_path = tmp_path / "web.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            gunicorn_argv(port, workers=1), cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if _get(f"{base}/healthz") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        assert _get(f"{base}/p/{CODE}") == 404
        _get(f"{base}/oauth/spotify/callback?code=oauth-code-987&state=state-token-654")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log_path.read_text()
    assert '"GET /p/<redacted> HTTP/1.1" 404' in text, text[-3000:]
    assert "/oauth/spotify/callback?code=<redacted>&state=<redacted> HTTP/1.1" in text
    for secret in (CODE, "oauth-code-987", "state-token-654"):
        assert secret not in text
