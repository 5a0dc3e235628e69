"""A gunicorn logger whose access lines never show a personal link code or an OAuth secret."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "<redacted>"
# A personal link (`/p/<code>`, also `/p/<code>/authorize`), raw or percent-encoded in a URL.
_LINK = re.compile(r"(/|%2F)p(/|%2F)[^/?&#\s\"%]+", re.IGNORECASE)
# Query parameters that carry a secret: the OAuth code and state (and the error's state).
_SECRET_PARAM = re.compile(r"(?<![A-Za-z0-9_])(code|state)(=|%3D)[^&#\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with link codes and `code=` / `state=` values replaced by `<redacted>`."""
    text = _LINK.sub(lambda m: f"{m.group(1)}p{m.group(2)}{REDACTED}", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with every text atom of an access line redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> Any:
        """The usual atoms (request line, path, query, referer, headers), redacted."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}
