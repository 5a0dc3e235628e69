"""`presave up` with no credentials: a fan texts the keyword in the sandbox, connects
Spotify through the sandbox's authorize page, and on drop day is saved and told."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import requests

from core.quiet_hours import hold_until
from core.timeutil import utcnow
from tests.integration.up_helpers import Up, presave_up

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"
# Fans in zones 8 and 9 hours apart: one of them is always inside 08:00-21:00 for a while.
PHONES = ("+14155550101", "+442079460123", "+81312345678")


def awake_phone() -> str:
    """A number whose owner may get a marketing text now and in the next quarter hour."""
    now = utcnow()
    for phone in PHONES:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
        later = now + timedelta(minutes=15)
        if hold_until(now, phone, None, None, None) is None and (
            hold_until(later, phone, None, None, None) is None
        ):
            return phone
    raise AssertionError("no candidate number is in its texting hours")


def sandbox_base(up: Up) -> str:
    found: dict[str, Any] = json.loads((up.root / "instance" / "sandbox.json").read_text())
    return str(found["url"])


def until(up: Up, what: str, check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; the log ends:\n{up.log()[-4000:]}")


def test_make_run_story_text_connect_saved_and_told(tmp_path: Path, redis_url: str) -> None:
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        log = up.log()
        assert "sandbox: Spotify, Twilio and Discord go to the local stand-ins" in log
        release = (utcnow() + timedelta(hours=2)).isoformat(timespec="seconds")
        made = up.presave(
            "campaign", "create", "--artist", "Mira Vale", "--title", "Night Bloom",
            "--keyword", "BLOOM", "--release-at", release, "--timezone", "UTC",
            "--spotify-album-id", ALBUM, "--json",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        slug = json.loads(made.stdout)["slug"]

        phone = awake_phone()
        texted = up.presave("sandbox", "text", phone, "BLOOM", "--json")
        assert texted.returncode == 0, texted.stderr
        [reply] = json.loads(texted.stdout)["replies"]
        link = re.search(rf"{re.escape(up.url)}/p/[\w-]+", reply["body"])
        assert link is not None, reply["body"]

        http = requests.Session()
        http.trust_env = False
        assert http.get(link.group(0), timeout=10).status_code == 200
        start = http.get(f"{link.group(0)}/authorize", allow_redirects=False, timeout=10)
        assert start.status_code in (302, 303), start.text
        authorize = start.headers["Location"]
        assert authorize.startswith(f"{sandbox_base(up)}/accounts/authorize"), authorize
        assert "Log in as a sandbox user" in http.get(authorize, timeout=10).text
        login = {"user_id": "fan-1", "country": "US", "product": "premium"}
        agreed = http.post(
            authorize, data={**login, "allowlisted": "1", "decision": "accept"},
            allow_redirects=False, timeout=10,
        )  # fmt: skip
        assert agreed.status_code == 302, agreed.text
        connected = http.get(agreed.headers["Location"], timeout=10)
        assert connected.status_code == 200, connected.text
        assert "Sandbox mode: no real texts, Discord messages or Spotify saves" in connected.text

        live = up.presave("release", "mark-live", slug, "--json")
        assert live.returncode == 0, live.stderr

        base = sandbox_base(up)

        def saved() -> bool:
            user = http.get(f"{base}/_sandbox/users/fan-1", timeout=5).json()
            return f"spotify:album:{ALBUM}" in user["saved"]

        def told() -> list[dict[str, Any]]:
            talk = up.presave("sandbox", "messages", phone, "--json")
            assert talk.returncode == 0, talk.stderr
            sent = [m for m in json.loads(talk.stdout) if m["direction"] == "outbound-api"]
            return [m for m in sent if m["status"] == "delivered"]

        until(up, "the save at the Spotify stand-in", saved)
        [alert] = until(up, "the drop text at the Twilio stand-in", told)
        assert "Night Bloom" in alert["body"]

        def callbacks() -> dict[str, int]:
            events: dict[str, int] = http.get(f"{base}/_sandbox/stats", timeout=5).json()["events"]
            return events if events.get("callbacks_sent", 0) >= 2 else {}

        # Its status callbacks (sent, delivered) reached our webhook and passed its signature
        # check: a refused one counts as failed.
        assert "callbacks_failed" not in until(up, "the status callbacks", callbacks)
