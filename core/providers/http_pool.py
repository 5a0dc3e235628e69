"""Calls to a provider's origin over urllib3, one connection pool per origin and process.

The pool is shared by the threads of a worker process and keyed by its pid, so a forked RQ
work horse opens its own sockets instead of reusing its parent's. urllib3 retries nothing
and follows no redirect here: a 429 reaches our limiter, and what is retried is decided
below, by whether the server may have acted on the request:

- a connection that could not be opened: the request never went out (TransportError);
- a pooled connection the server closed while idle: urllib3 sees it before reuse and opens
  a new one, so nothing was lost;
- a connection that broke or went quiet after the request was written: the server may
  have acted. An idempotent request is sent once more (after a break, not after a timeout,
  which would double the wait); any other is reported as AnswerLost, never sent again.

Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); loopback is always
reached directly.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProtocolError, ProxyError

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
CONNECT_TIMEOUT = 5.0
POOL_SIZE = 64  # connections kept per origin; a busier moment opens more and drops them after


class TransportError(Exception):
    """The request could not be sent or its answer not read (network, timeout)."""


class AnswerLost(TransportError):
    """The request was sent but no answer came: the server may or may not have acted on it."""


@dataclass(frozen=True)
class Answer:
    """Status, headers (looked up by any case) and body of one response."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (None when empty or not JSON)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


def basic_auth(user: str, password: str) -> str:
    """An `Authorization` header value for HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url`, or None to go direct."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(host):  # NO_PROXY
        return None
    return proxy


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or (exc.args[-1] if exc.args else None)
    inner = reason if isinstance(reason, BaseException) else None
    return type(exc).__name__ + (f" ({type(inner).__name__})" if inner else "")


class Origin:
    """Requests to one origin (scheme://host:port, with an optional path prefix)."""

    def __init__(self, base_url: str, read_timeout: float, connect_timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        timeout = urllib3.Timeout(connect=min(connect_timeout, read_timeout), read=read_timeout)
        options: dict[str, Any] = {
            "maxsize": POOL_SIZE,
            "block": False,
            "timeout": timeout,
            "retries": False,
        }
        self.proxy = proxy_for(base_url)
        self._manager: urllib3.ProxyManager | None = None
        self._pool: urllib3.HTTPConnectionPool | None = None
        if self.proxy:
            self._manager = urllib3.ProxyManager(self.proxy, num_pools=2, **options)
        else:
            self._pool = urllib3.connection_from_url(base_url, **options)

    def _open(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> urllib3.BaseHTTPResponse:
        options: dict[str, Any] = {"retries": False, "redirect": False, "preload_content": True}
        if self._pool is not None:
            return self._pool.urlopen(method, self.prefix + target, body, headers, **options)
        assert self._manager is not None
        return self._manager.urlopen(
            method, self.base_url + target, body=body, headers=headers, **options
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Answer:
        """Send one request (`form` or `json_body` as its body); see the module docstring for
        what is retried. `idempotent` overrides what the method says (a token refresh is)."""
        repeatable = method in IDEMPOTENT if idempotent is None else idempotent
        target = path + (f"?{urlencode(params)}" if params else "")
        sent = {"Accept": "application/json", **(headers or {})}
        body: bytes | None = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            sent["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                response = self._open(method, target, body, sent)
            except (ConnectTimeoutError, ProxyError) as exc:  # nothing reached the server
                raise TransportError(_describe(exc)) from None
            except ProtocolError as exc:  # broken after the request was written
                if repeatable and attempt == 1:
                    continue
                raise (TransportError if repeatable else AnswerLost)(_describe(exc)) from None
            except (HTTPError, OSError) as exc:  # a read timeout, most often
                raise (TransportError if repeatable else AnswerLost)(_describe(exc)) from None
            return Answer(response.status, response.headers, response.data)
        raise TransportError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the pooled connections (one in use is closed when its call ends)."""
        if self._pool is not None:
            self._pool.close()
        if self._manager is not None:
            self._manager.clear()


_origins: dict[tuple[int, str, float, float], Origin] = {}
_origins_lock = threading.Lock()


def shared(base_url: str, read_timeout: float, connect_timeout: float = CONNECT_TIMEOUT) -> Origin:
    """The calling process's pool for `base_url`, made on first use."""
    key = (os.getpid(), base_url, read_timeout, connect_timeout)
    with _origins_lock:
        found = _origins.get(key)
        if found is None:
            found = _origins[key] = Origin(base_url, read_timeout, connect_timeout)
        return found
