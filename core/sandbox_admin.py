"""Calls to the running sandbox's admin API (`/_sandbox/...`) over loopback HTTP, for the
demo seed and the sandbox console (phone, Discord, clock). Only for sandbox mode: the
console talks to the stand-ins through the sandbox's own API, never by importing it.
Loopback only, no proxies (a proxy would see loopback traffic), no redirects."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from core.settings import is_loopback_url

# The sandbox waits up to 15 s for our SMS webhook (Twilio's limit) before it answers.
TIMEOUT_S = 20.0


class SandboxAdminError(Exception):
    """The sandbox is not there, or refused the request (the message says which)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def call(base: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(status, JSON answer) of GET `base`/_sandbox/`path`, or of a POST of `body` as JSON;
    SandboxAdminError when nothing (or no JSON) answers."""
    if not is_loopback_url(base):
        raise SandboxAdminError(f"{base} is not a loopback address")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked above
        f"{base.rstrip('/')}/_sandbox/{path}",
        data=data,
        headers={"Content-Type": "application/json"} if data is not None else {},
        method="POST" if data is not None else "GET",
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as answer:
            return int(answer.status), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return int(exc.code), json.loads(exc.read() or b"null")
        except ValueError:
            return int(exc.code), {"error": f"HTTP {exc.code}"}
    except (OSError, ValueError) as exc:
        raise SandboxAdminError(f"no sandbox answers at {base}: {exc}") from None


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` as JSON; the JSON object answered, or SandboxAdminError with the reason."""
    status, data = call(base, path, body)
    if status >= 400:
        reason = data.get("error", "no reason given") if isinstance(data, dict) else "?"
        raise SandboxAdminError(f"the sandbox answered {status}: {reason}")
    if not isinstance(data, dict):
        raise SandboxAdminError("the sandbox answered something other than a JSON object")
    return data
