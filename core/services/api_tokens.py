"""A team's API tokens: made and revoked by owners, shown once, kept as sha256, checked on
every /api/v1 request.

A token is `psv_` and 43 URL-safe characters (32 random bytes); only its sha256 and its
first characters (to tell tokens apart in the list) are stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import validation
from core.models import ApiToken, User
from core.services import accounts, audit
from core.services.accounts import NotAnOwner
from core.validation import ValidationError

PREFIX = "psv_"
SCOPES = ("read", "write")
TOKEN_RE = re.compile(r"psv_[A-Za-z0-9_-]{43}")
HINT_LEN = len(PREFIX) + 8
NAME_MAX = 100
# last_used_at is written at most this often per token: no write on every request.
USE_STAMP_EVERY = timedelta(minutes=1)

__all__ = ["NotAnOwner", "ValidationError"]


class UnknownToken(LookupError):
    """No such token in the team (another team's included)."""


@dataclass(frozen=True)
class TokenRow:
    """A token as the tokens page lists it (never the secret)."""

    id: int
    name: str
    scope: str
    hint: str
    created_by: str | None  # the creator's email
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who an API request acts for: the token's id, its team and its scope."""

    token_id: int
    team_id: int
    scope: str
    user_id: int  # the owner who made the token: the audit log names them

    @property
    def may_write(self) -> bool:
        """Whether the token may change things."""
        return self.scope == "write"


def digest(raw: str) -> str:
    """The sha256 (hex) a token is stored as."""
    return hashlib.sha256(raw.encode()).hexdigest()


def check_scope(value: str | None) -> str:
    """'read' or 'write'; ValidationError naming `scope` otherwise."""
    if value not in SCOPES:
        raise ValidationError("scope", "read or write")
    return value


def _owner(session: Session, team_id: int, user_id: int) -> None:
    if accounts.role_in(session, team_id, user_id) != "owner":
        raise NotAnOwner("only the team's owners can create or revoke API tokens")


def create(
    session: Session, team_id: int, user_id: int, name: str | None, scope: str | None
) -> tuple[TokenRow, str]:
    """A new token (owners only), logged as `api_token_created`: (its row, the raw token,
    to be shown once). ValidationError names a refused name or scope."""
    _owner(session, team_id, user_id)
    label = validation.text("name", name, max_len=NAME_MAX)
    chosen = check_scope(scope)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        team_id=team_id,
        name=label,
        scope=chosen,
        token_hash=digest(raw),
        hint=raw[:HINT_LEN],
        created_by=user_id,
    )
    session.add(token)
    session.flush()
    audit.record(session, team_id, user_id, "api_token_created", detail=f"{label} ({chosen})")
    return _row(token, None), raw


def revoke(session: Session, team_id: int, user_id: int, token_id: int, now: datetime) -> TokenRow:
    """Revoke the team's token (owners only), logged as `api_token_revoked`; revoking twice
    changes nothing. UnknownToken for another team's token."""
    _owner(session, team_id, user_id)
    token = session.get(ApiToken, token_id)
    if token is None or token.team_id != team_id:
        raise UnknownToken(f"no API token {token_id} in team {team_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
        audit.record(
            session, team_id, user_id, "api_token_revoked", detail=f"{token.name} ({token.scope})"
        )
    return _row(token, None)


def _row(token: ApiToken, email: str | None) -> TokenRow:
    return TokenRow(
        id=token.id, name=token.name, scope=token.scope, hint=token.hint, created_by=email,
        created_at=token.created_at, last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )  # fmt: skip


def team_tokens(session: Session, team_id: int) -> list[TokenRow]:
    """The team's tokens, newest first, revoked ones included."""
    rows = session.execute(
        select(ApiToken, User.email)
        .outerjoin(User, User.id == ApiToken.created_by)
        .where(ApiToken.team_id == team_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [_row(token, email) for token, email in rows]


def authenticate(session: Session, raw: str, now: datetime) -> Caller | None:
    """The caller a bearer token stands for; None when it is malformed, unknown or revoked.
    Notes when it was last used (at most once a minute)."""
    if not TOKEN_RE.fullmatch(raw):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_STAMP_EVERY:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return Caller(token.id, token.team_id, token.scope, token.created_by)
