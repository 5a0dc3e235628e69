"""The OAuth `state`: signed, expiring after 15 minutes, single use (nonce recorded), and
bound to the browser that started the flow (the hash of a nonce kept in that browser's cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import OAuthNonce
from core.timeutil import utcnow

MAX_AGE = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=1)
MAX_LENGTH = 512
SALT = "presave.spotify-oauth-state.v1"
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{22}")
SOURCE_RE = re.compile(r"[a-z0-9_-]{1,32}")
# The browser nonce: 32 random bytes, url-safe; the state carries only its hash.
BROWSER_RE = re.compile(r"[A-Za-z0-9_-]{43}")
BROWSER_HASH_RE = re.compile(r"[A-Za-z0-9_-]{22}")


class BadState(Exception):
    """The state cannot be trusted; `reason` is tampered, expired, replayed or other_browser."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AuthState:
    """Who is authorizing for which campaign, from which source."""

    campaign_id: int
    fan_id: int | None  # None: a web-only fan from the public campaign page
    source: str
    nonce: str
    issued_at: datetime


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def browser_nonce(existing: str | None) -> str:
    """The nonce to keep in the browser's cookie: the one it has (if well-formed), else new."""
    if existing is not None and BROWSER_RE.fullmatch(existing):
        return existing
    return secrets.token_urlsafe(32)


def _browser_hash(browser: str) -> str:
    digest = hashlib.sha256(browser.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(
    secret_key: str,
    *,
    campaign_id: int,
    fan_id: int | None,
    source: str,
    browser: str,
    now: datetime | None = None,
) -> str:
    """A signed state binding fan, campaign, source and browser, with a fresh nonce."""
    if not SOURCE_RE.fullmatch(source):
        raise ValueError("source must be 1-32 of [a-z0-9_-]")
    if not BROWSER_RE.fullmatch(browser):
        raise ValueError("browser must be a nonce from browser_nonce()")
    issued = now or utcnow()
    payload = {
        "c": campaign_id,
        "f": fan_id,
        "s": source,
        "n": secrets.token_urlsafe(16),
        "t": int(issued.timestamp()),
        "b": _browser_hash(browser),
    }
    return str(_serializer(secret_key).dumps(payload))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read(
    secret_key: str, token: str | None, *, browser: str | None, now: datetime | None = None
) -> AuthState:
    """Check signature, shape, browser and age; raises BadState. Does not spend the nonce.

    `browser` is the nonce from the cookie of the browser that came back (None: no cookie).
    """
    if not token or len(token) > MAX_LENGTH:
        raise BadState("tampered")
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        raise BadState("tampered") from None
    if not isinstance(data, dict):
        raise BadState("tampered")
    campaign_id, fan_id, source = data.get("c"), data.get("f"), data.get("s")
    nonce, issued_ts, bound = data.get("n"), data.get("t"), data.get("b")
    if not (
        _positive_int(campaign_id)
        and (fan_id is None or _positive_int(fan_id))
        and isinstance(source, str)
        and SOURCE_RE.fullmatch(source)
        and isinstance(nonce, str)
        and NONCE_RE.fullmatch(nonce)
        and _positive_int(issued_ts)
        and isinstance(bound, str)
        and BROWSER_HASH_RE.fullmatch(bound)
    ):
        raise BadState("tampered")
    if not (
        browser is not None
        and BROWSER_RE.fullmatch(browser)
        and hmac.compare_digest(_browser_hash(browser), bound)
    ):
        raise BadState("other_browser")
    assert isinstance(campaign_id, int) and isinstance(issued_ts, int)
    issued_at = datetime.fromtimestamp(issued_ts, UTC)
    current = now or utcnow()
    if current - issued_at > MAX_AGE or issued_at - current > CLOCK_SKEW:
        raise BadState("expired")
    return AuthState(campaign_id, fan_id, source, nonce, issued_at)


def spend(session: Session, state: AuthState, *, now: datetime | None = None) -> None:
    """Record the nonce as used; raises BadState("replayed") if it already was."""
    current = now or utcnow()
    session.execute(delete(OAuthNonce).where(OAuthNonce.expires_at < current - CLOCK_SKEW))
    try:
        with session.begin_nested():
            session.add(
                OAuthNonce(
                    nonce=state.nonce,
                    used_at=current,
                    expires_at=state.issued_at + MAX_AGE + CLOCK_SKEW,
                )
            )
            session.flush()
    except IntegrityError:
        raise BadState("replayed") from None
