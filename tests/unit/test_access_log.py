"""Access lines hide personal link codes and the OAuth code and state (web/access_log.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from web.access_log import RedactingLogger, redact

CODE = "Qm9vX2xpbmtfY29kZV8xMj"  # 22 characters, like a real personal link code
OAUTH_CODE = "AQBx-oauth-code-from-spotify"
STATE = "eyJjIjoxfQ.signed-state"


def access_line(tmp_path: Path, path: str, query: str = "", **headers: str) -> str:
    """What gunicorn writes for one request, through our logger class."""
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({location}o)s')
    logger = RedactingLogger(cfg)
    raw_uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": headers.pop("referer", "-"),
    }
    response = SimpleNamespace(
        status="302 FOUND", sent=0, headers=[("Location", headers.pop("location", "-"))]
    )
    request = SimpleNamespace(headers=[("User-Agent", "test")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return (tmp_path / "access.log").read_text()


def test_a_personal_link_is_logged_without_its_code(tmp_path: Path) -> None:
    line = access_line(tmp_path, f"/p/{CODE}/authorize", referer=f"https://x.test/p/{CODE}")
    assert CODE not in line
    assert '"GET /p/<redacted>/authorize HTTP/1.1"' in line
    assert '"https://x.test/p/<redacted>"' in line and " /p/<redacted>/authorize " in line


def test_the_oauth_callback_is_logged_without_code_or_state(tmp_path: Path) -> None:
    query = f"code={OAUTH_CODE}&state={STATE}"
    line = access_line(tmp_path, "/oauth/spotify/callback", query)
    assert OAUTH_CODE not in line and STATE not in line
    assert "/oauth/spotify/callback?code=<redacted>&state=<redacted> HTTP/1.1" in line


def test_a_redirect_to_spotify_is_logged_without_its_state(tmp_path: Path) -> None:
    location = f"https://accounts.spotify.test/authorize?client_id=x&state={STATE}&scope=a"
    line = access_line(tmp_path, f"/p/{CODE}/authorize", location=location)
    assert STATE not in line and "state=<redacted>&scope=a" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/c/mira-vale?ref=sms", "/c/mira-vale?ref=sms"),
        ("/static/presave.css", "/static/presave.css"),
        ("/healthz", "/healthz"),
        ("/help?error=access_denied&state=abc", "/help?error=access_denied&state=<redacted>"),
        (f"https%3A%2F%2Fx.test%2Fp%2F{CODE}%3Fa", "https%3A%2F%2Fx.test%2Fp%2F<redacted>%3Fa"),
        ("?zipcode=12345&code=", "?zipcode=12345&code=<redacted>"),
    ],
)
def test_redaction_keeps_everything_else(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_both_ways_of_starting_the_web_role_use_the_redacting_logger() -> None:
    from core.supervisor import gunicorn_argv

    argv = gunicorn_argv(5000)
    assert argv[argv.index("--logger-class") + 1] == "web.access_log.RedactingLogger"
    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text().splitlines()
    web = next(line for line in procfile if line.startswith("web:"))
    assert "--logger-class web.access_log.RedactingLogger" in web
