"""Personal link codes: unguessable, bound to one fan and campaign, reused."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.db import Db
from core.models import FanLink
from core.timeutil import utcnow
from core.upsert import insert_ignore

# 16 bytes = 128 bits of randomness, 22 url-safe characters.
CODE_BYTES = 16
CODE_RE = re.compile(r"[A-Za-z0-9_-]{22}")
# Statements of the keyword webhook's path are built once (SQLAlchemy caches their SQL).
_CODE_OF = select(FanLink.code).where(
    FanLink.fan_id == bindparam("fan_id"), FanLink.campaign_id == bindparam("campaign_id")
)


def link_url(public_url: str, code: str) -> str:
    """The personal link a fan receives."""
    return f"{public_url}/p/{code}"


def album_link(album_id: str) -> str:
    """The release on Spotify, as drop alerts and posts link it."""
    return f"https://open.spotify.com/album/{album_id}"


def issue_code(session: Db, fan_id: int, campaign_id: int, source: str) -> tuple[str, bool]:
    """The fan's code for the campaign, created on first ask; (code, created)."""
    code = insert_ignore(
        session,
        FanLink.__table__,  # type: ignore[arg-type]
        {
            "code": secrets.token_urlsafe(CODE_BYTES),
            "fan_id": fan_id,
            "campaign_id": campaign_id,
            "source": source,
            "created_at": utcnow(),
        },
        FanLink.code,
    )
    if code is not None:
        return str(code), True
    existing = session.scalar(_CODE_OF, {"fan_id": fan_id, "campaign_id": campaign_id})
    assert existing is not None
    return existing, False


def issue(session: Session, fan_id: int, campaign_id: int, source: str) -> tuple[FanLink, bool]:
    """The fan's link row for the campaign, created on first ask; (link, created)."""
    code, created = issue_code(session, fan_id, campaign_id, source)
    link = session.scalar(select(FanLink).where(FanLink.code == code))
    assert link is not None
    return link, created


def find(session: Session, code: str) -> FanLink | None:
    """The link behind `code`; None for unknown or malformed codes (no query for those)."""
    if not CODE_RE.fullmatch(code):
        return None
    return session.scalar(select(FanLink).where(FanLink.code == code))
