"""Calls to the running sandbox's admin API (`/_sandbox/...`) over loopback HTTP.

Only for sandbox mode: the console talks to the stand-ins as a person would, through the
sandbox's own API, never by importing it. Loopback only, no proxies, no redirects.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from core.settings import is_loopback_url

# The sandbox waits up to 15 s for our SMS webhook (Twilio's limit) before it answers.
TIMEOUT_S = 20.0


class SandboxUnavailable(Exception):
    """The sandbox did not answer, or answered something that is not JSON."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def call(base: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(status, JSON answer) of GET `base`/_sandbox/`path`, or POST of `body` as JSON."""
    if not is_loopback_url(base):
        raise SandboxUnavailable(f"{base} is not a loopback address")
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
        raise SandboxUnavailable(f"no sandbox answers at {base}: {exc}") from None
