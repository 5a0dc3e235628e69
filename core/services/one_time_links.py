"""One-time links (sign-in, password reset, team invite): issued, checked, used once.

Only the sha256 of a token is stored, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import OneTimeToken
from core.timeutil import utcnow

SIGN_IN, RESET, INVITE = "sign_in", "reset", "invite"
LIFETIMES = {
    SIGN_IN: timedelta(hours=24),
    RESET: timedelta(hours=1),
    INVITE: timedelta(days=7),
}
RAW_MAX = 100  # token_urlsafe(32) is 43 characters; anything much longer is not ours


class LinkRefused(ValueError):
    """A one-time link that cannot be used; the message says why, for the person."""


class UnknownLink(LinkRefused):
    """No such link (mistyped, or made for something else)."""

    def __init__(self) -> None:
        super().__init__("This link is not valid. Check that you opened the whole link.")


class UsedLink(LinkRefused):
    """The link was used already."""

    def __init__(self) -> None:
        super().__init__("This link was used already. Each link works once: ask for a new one.")


class ExpiredLink(LinkRefused):
    """The link is past its expiry."""

    def __init__(self) -> None:
        super().__init__("This link has expired. Ask for a new one.")


def digest(raw: str) -> str:
    """The sha256 hex of a raw token: what the database keeps."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(
    session: Session,
    purpose: str,
    *,
    user_id: int | None = None,
    team_id: int | None = None,
    role: str | None = None,
    created_by: int | None = None,
) -> str:
    """Store a new link for `purpose` and return its raw token (shown once, never kept)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            purpose=purpose,
            token_hash=digest(raw),
            user_id=user_id,
            team_id=team_id,
            role=role,
            created_by=created_by,
            expires_at=utcnow() + LIFETIMES[purpose],
        )
    )
    session.flush()
    return raw


def check(session: Session, raw_token: str, purpose: str) -> OneTimeToken:
    """The link's row if it can still be used for `purpose`, without using it."""
    if not raw_token or len(raw_token) > RAW_MAX:
        raise UnknownLink()
    row = session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == digest(raw_token)))
    if row is None or row.purpose != purpose:
        raise UnknownLink()
    if row.used_at is not None:
        raise UsedLink()
    if row.expires_at <= utcnow():
        raise ExpiredLink()
    return row


def redeem(session: Session, raw_token: str, purpose: str) -> OneTimeToken:
    """Use the link once: a second use, even a concurrent one, is refused."""
    row = check(session, raw_token, purpose)
    now = utcnow()
    taken = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise UsedLink()
    row.used_at = now
    return row
