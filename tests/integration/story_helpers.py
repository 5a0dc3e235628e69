"""A fan's story against a running `presave up`: a number in its texting hours, the
sandbox's address, waiting for a condition, and connecting Spotify through the sandbox."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import phonenumbers
import requests

from core.quiet_hours import hold_until
from core.timeutil import utcnow
from tests.integration.up_helpers import Up

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"
# Fans in zones 8 and 9 hours apart: one of them is always inside 08:00-21:00 for a while.
PHONES = ("+14155550101", "+442079460123", "+81312345678")


def awake_phone(minutes: int = 15) -> str:
    """A number whose owner may get a marketing text now and for the next `minutes`."""
    now = utcnow()
    for phone in PHONES:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
        later = now + timedelta(minutes=minutes)
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


def text_keyword(up: Up, phone: str, keyword: str) -> str:
    """The fan texts the keyword in the sandbox; their personal link from the reply."""
    texted = up.presave("sandbox", "text", phone, keyword, "--json")
    assert texted.returncode == 0, texted.stderr
    [reply] = json.loads(texted.stdout)["replies"]
    link = re.search(rf"{re.escape(up.url)}/p/[\w-]+", reply["body"])
    assert link is not None, reply["body"]
    return link.group(0)


def connect_spotify(up: Up, link: str, user_id: str, country: str = "US") -> requests.Session:
    """The fan opens their link and approves at the sandbox's Spotify authorize page."""
    http = requests.Session()
    http.trust_env = False
    assert http.get(link, timeout=10).status_code == 200
    start = http.get(f"{link}/authorize", allow_redirects=False, timeout=10)
    assert start.status_code in (302, 303), start.text
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{sandbox_base(up)}/accounts/authorize"), authorize
    assert "Log in as a sandbox user" in http.get(authorize, timeout=10).text
    login = {"user_id": user_id, "country": country, "product": "premium"}
    agreed = http.post(
        authorize, data={**login, "decision": "approve"},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert agreed.status_code == 302, agreed.text
    connected = http.get(agreed.headers["Location"], timeout=10)
    assert connected.status_code == 200, connected.text
    assert "Sandbox mode: no real texts, Discord messages or Spotify saves" in connected.text
    return http


def texts_to(up: Up, phone: str) -> list[dict[str, Any]]:
    """What the Twilio stand-in delivered to `phone` through the REST API (not replies)."""
    talk = up.presave("sandbox", "messages", phone, "--json")
    assert talk.returncode == 0, talk.stderr
    sent = [m for m in json.loads(talk.stdout) if m["direction"] == "outbound-api"]
    return [m for m in sent if m["status"] == "delivered"]
