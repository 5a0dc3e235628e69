"""Twilio message status progression and signed status callbacks (loopback URLs only)."""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.config import SANDBOX_TWILIO_NUMBER
from sandbox.state import SandboxState
from sandbox.twilio_store import Message

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SERVICE_SENDER = SANDBOX_TWILIO_NUMBER
UNDELIVERED = (30003, "Unreachable destination handset")


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL plus sorted key+value pairs."""
    payload = url + "".join(key + params[key] for key in sorted(params))
    mac = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def post_signed(url: str, params: dict[str, str], token: str, timeout: float) -> tuple[int, bytes]:
    """POST a form to `url` signed as Twilio signs it; (status, body), 4xx and 5xx included."""
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked by callers
        url,
        data=urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": twilio_signature(token, url, params),
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        },
        method="POST",
    )
    try:
        with OPENER.open(request, timeout=timeout) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def is_loopback_url(url: str) -> bool:
    """True for an http(s) URL on 127.0.0.1, localhost or ::1."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could lead off the loopback interface."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def callback_params(message: Message) -> dict[str, str]:
    """The form Twilio posts to a StatusCallback URL."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": "2010-04-01",
        "From": message.from_ or SERVICE_SENDER,
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    return params


class StatusDispatcher:
    """Moves messages to sent, then delivered (or undelivered), posting each callback."""

    def __init__(self, state: SandboxState, workers: int = 8) -> None:
        self.state = state
        self._heap: list[tuple[float, int, str, str]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sandbox-callback")

    def schedule(self, sid: str, status: str, delay_s: float) -> None:
        """Set the message's status to `status` after `delay_s`."""
        with self._cond:
            if self._stopped:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-status", daemon=True
                )
                self._thread.start()
            entry = (time.monotonic() + delay_s, next(self._seq), sid, status)
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:  # due before what the loop sleeps towards: wake it
                self._cond.notify()

    def _run(self) -> None:
        """Apply due status changes until closed."""
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, sid, status = heapq.heappop(self._heap)
            try:
                self._advance(sid, status)
            except Exception:  # a bad message must not stop the loop
                self.state.stats.bump("status_errors")

    def _advance(self, sid: str, status: str) -> None:
        """One status change, its callback, and the next step."""
        config = self.state.config
        store = self.state.twilio
        current = store.get(sid)
        if current is None:
            return
        changes: dict[str, Any] = {"status": status, "updated": self.state.clock.now()}
        if status == "sent":
            changes["sent"] = changes["updated"]
            changes["from_"] = current.from_ or SERVICE_SENDER
        elif status == "undelivered":
            changes["error_code"], changes["error_message"] = UNDELIVERED
        message = store.update(sid, **changes)
        if message is None:
            return
        if status == "sent":
            final = "undelivered" if message.to in config.twilio_undeliverable else "delivered"
            self.schedule(sid, final, config.callback_delay_ms / 1000)
        url = message.status_callback
        if not url or not config.status_callbacks:
            return
        if not is_loopback_url(url):
            self.state.stats.bump("callbacks_refused")
            return
        token = store.auth_token(message.account_sid) or ""
        self._pool.submit(self._post, url, callback_params(message), token)

    def _post(self, url: str, params: dict[str, str], token: str) -> None:
        """POST one signed callback; count the outcome."""
        try:
            status, _ = post_signed(url, params, token, timeout=5)
        except (urllib.error.URLError, OSError, ValueError):
            status = 0
        self.state.stats.bump("callbacks_sent" if 200 <= status < 300 else "callbacks_failed")

    def close(self) -> None:
        """Stop the loop and drop pending work."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
