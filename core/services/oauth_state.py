"""The OAuth `state`: signed, expiring after 15 minutes, single use (nonce recorded)."""

from __future__ import annotations

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


class BadState(Exception):
    """The state cannot be trusted; `reason` is tampered, expired or replayed."""

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


def issue(
    secret_key: str,
    *,
    campaign_id: int,
    fan_id: int | None,
    source: str,
    now: datetime | None = None,
) -> str:
    """A signed state binding fan, campaign and source, with a fresh nonce."""
    if not SOURCE_RE.fullmatch(source):
        raise ValueError("source must be 1-32 of [a-z0-9_-]")
    issued = now or utcnow()
    payload = {
        "c": campaign_id,
        "f": fan_id,
        "s": source,
        "n": secrets.token_urlsafe(16),
        "t": int(issued.timestamp()),
    }
    return str(_serializer(secret_key).dumps(payload))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read(secret_key: str, token: str | None, *, now: datetime | None = None) -> AuthState:
    """Check signature, shape and age; raises BadState. Does not spend the nonce."""
    if not token or len(token) > MAX_LENGTH:
        raise BadState("tampered")
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        raise BadState("tampered") from None
    if not isinstance(data, dict):
        raise BadState("tampered")
    campaign_id, fan_id, source = data.get("c"), data.get("f"), data.get("s")
    nonce, issued_ts = data.get("n"), data.get("t")
    if not (
        _positive_int(campaign_id)
        and (fan_id is None or _positive_int(fan_id))
        and isinstance(source, str)
        and SOURCE_RE.fullmatch(source)
        and isinstance(nonce, str)
        and NONCE_RE.fullmatch(nonce)
        and _positive_int(issued_ts)
    ):
        raise BadState("tampered")
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
