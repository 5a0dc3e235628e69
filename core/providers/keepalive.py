"""A lean HTTP/1.1 client for the fan-out's hot loop: a pool of keep-alive connections.

`requests` costs about 2 ms of CPU per call here; on drop day, with tens of thousands of
calls on two cores, that CPU is the limit. `http1.Connection` over persistent connections
costs a fraction of it (and about half of what `http.client` does). Used only for simple
JSON/form calls with timeouts.

Connections are shared through an idle pool, not tied to threads: a thread takes one for a
call and gives it back. Tied to threads, every batch of texts sent from a new thread pool
opened new connections (a TCP and, to Twilio, a TLS handshake for every one or two
messages); pooled, they live as long as the client.
"""

from __future__ import annotations

import base64
import json
import select
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from core.providers.http1 import Closed, Connection

RETRYABLE_ON_REUSE = (Closed, ConnectionResetError, BrokenPipeError)
MAX_IDLE_CONNECTIONS = 64
# An idle connection older than this is closed rather than reused: servers close idle
# keep-alive connections after a while, and a POST sent on one that was just closed has an
# unknown outcome (see AnswerLost).
MAX_IDLE_SECONDS = 20.0


class TransportError(Exception):
    """The request could not be sent or its answer not read (network, timeout)."""


class AnswerLost(TransportError):
    """The request was sent but no answer came: the server may or may not have acted on it."""


IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Answer:
    """Status, headers (lower-case names) and body of one response."""

    status: int
    headers: dict[str, str]
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


def _closed_by_peer(conn: Connection) -> bool:
    """True when the server closed this idle connection (or wrote to it unasked): readable
    while idle means EOF. Reused, a POST would go out on it and its outcome be unknown."""
    if conn.sock is None or conn.unread:
        return True
    poller = select.poll()
    try:
        poller.register(conn.sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class KeepAliveClient:
    """Calls to one origin (scheme://host:port) over a pool of keep-alive connections."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._idle: list[tuple[Connection, float]] = []  # (conn, idle since)
        self._lock = threading.Lock()

    def _checkout(self, fresh: bool) -> Connection:
        """An idle connection young enough to reuse, else a new one (always new if `fresh`)."""
        now = time.monotonic()
        while not fresh:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if now - since <= MAX_IDLE_SECONDS and not _closed_by_peer(conn):
                return conn
            conn.close()
        return Connection(self.host, self.port, https=self.https, timeout=self.timeout)

    def _checkin(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append((conn, time.monotonic()))
                return
        conn.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Answer:
        """Send one request; a connection found closed on reuse is reopened once.

        A request that was sent and got no answer is sent again only when it is idempotent
        (by default: by its method); otherwise AnswerLost says the outcome is unknown.
        """
        repeatable = method in IDEMPOTENT if idempotent is None else idempotent
        url = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        body = urlencode(form).encode() if form is not None else None
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif method in ("PUT", "POST"):
            sent_headers["Content-Length"] = "0"
        for attempt in (1, 2):
            conn = self._checkout(fresh=attempt == 2)
            try:
                conn.request(method, url, body, sent_headers)
            except RETRYABLE_ON_REUSE as exc:  # not sent: safe to send on a new connection
                conn.close()
                if attempt == 2:
                    raise TransportError(type(exc).__name__) from None
                continue
            except OSError as exc:
                conn.close()
                raise TransportError(type(exc).__name__) from None
            try:
                response = conn.getresponse(method)
                data = response.body
            except OSError as exc:
                conn.close()
                stale = isinstance(exc, RETRYABLE_ON_REUSE)  # most likely an idle close
                if stale and repeatable and attempt == 1:
                    continue
                lost = AnswerLost if not repeatable else TransportError
                raise lost(type(exc).__name__) from None
            if response.will_close:
                conn.close()
            else:
                self._checkin(conn)
            return Answer(response.status, response.fields, data)
        raise TransportError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close every idle connection (one in use goes back to the pool when its call ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()
