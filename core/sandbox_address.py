"""Where the running sandbox is: PRESAVE_SANDBOX_URL, or the one `presave up` started."""

from __future__ import annotations

import json

from core.settings import Settings


class SandboxNotRunning(Exception):
    """No sandbox to talk to."""


def sandbox_base(settings: Settings) -> str:
    """The running sandbox's base URL (loopback), or SandboxNotRunning."""
    from core.supervisor import sandbox_file

    if settings.sandbox_url:
        return settings.sandbox_url
    try:
        found = json.loads(sandbox_file(settings).read_text())
    except (OSError, ValueError):
        found = None
    url = found.get("url") if isinstance(found, dict) else None
    if not isinstance(url, str):
        raise SandboxNotRunning("not running: start it with `presave up` (or `make run`)")
    return url
