"""A small client of a running sandbox's admin API (loopback only, no proxies)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from sandbox.callbacks import OPENER, is_loopback_url

TIMEOUT_S = 20.0  # the webhook may take Twilio's 15 s


class SandboxUnreachable(Exception):
    """No sandbox answers at that address."""


def call(base: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(status, JSON answer) of GET (or POST `body` to) `base`/_sandbox/`path`."""
    if not is_loopback_url(base):
        raise SandboxUnreachable(f"{base} is not a loopback address")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked above
        f"{base}/_sandbox/{path}",
        data=data,
        headers={"Content-Type": "application/json"} if data is not None else {},
        method="POST" if data is not None else "GET",
    )
    try:
        with OPENER.open(request, timeout=TIMEOUT_S) as answer:
            return int(answer.status), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return int(exc.code), json.loads(exc.read() or b"null")
        except ValueError:
            return int(exc.code), {"error": f"HTTP {exc.code}"}
    except (OSError, ValueError) as exc:
        raise SandboxUnreachable(f"no sandbox answers at {base}: {exc}") from None


def text_us(base: str, phone: str, body: str) -> tuple[int, Any]:
    """A fan at `phone` texts `body` to our number."""
    return call(base, "twilio/inbound", {"from": phone, "body": body})


def conversation(base: str, phone: str) -> tuple[int, Any]:
    """Every message to or from `phone`, oldest first."""
    return call(base, f"twilio/conversation?phone={quote(phone)}")
