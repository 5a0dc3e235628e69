"""Calls to a running sandbox's admin API (/_sandbox/...) over loopback HTTP, for the demo
seed and the sandbox console's clock. Never used outside sandbox mode."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from core.settings import is_loopback_url

TIMEOUT_S = 10.0
# No proxies (a proxy would see loopback traffic) and no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxAdminError(Exception):
    """The sandbox is not there, or refused the request (the message says which)."""


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` as JSON to `base`/_sandbox/`path`; the JSON object it answers."""
    if not is_loopback_url(base):
        raise SandboxAdminError(f"{base} is not a loopback address")
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked above
        f"{base}/_sandbox/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as answer:
            data = json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise SandboxAdminError(f"the sandbox answered {exc.code}: {_reason(exc)}") from None
    except (OSError, ValueError) as exc:
        raise SandboxAdminError(f"no sandbox answers at {base}: {exc}") from None
    if not isinstance(data, dict):
        raise SandboxAdminError("the sandbox answered something other than a JSON object")
    return data


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        found = json.loads(exc.read() or b"{}")
    except ValueError:
        return "no reason given"
    return str(found.get("error", "no reason given")) if isinstance(found, dict) else "?"
