"""Personal link codes: unguessable, bound to one fan and campaign, reused."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import FanLink

# 16 bytes = 128 bits of randomness, 22 url-safe characters.
CODE_BYTES = 16
CODE_RE = re.compile(r"[A-Za-z0-9_-]{22}")


def link_url(public_url: str, code: str) -> str:
    """The personal link a fan receives."""
    return f"{public_url}/p/{code}"


def issue(session: Session, fan_id: int, campaign_id: int, source: str) -> tuple[FanLink, bool]:
    """The fan's link for the campaign, created on first ask; (link, created)."""
    existing = session.scalar(
        select(FanLink).where(FanLink.fan_id == fan_id, FanLink.campaign_id == campaign_id)
    )
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            link = FanLink(
                code=secrets.token_urlsafe(CODE_BYTES),
                fan_id=fan_id,
                campaign_id=campaign_id,
                source=source,
            )
            session.add(link)
            session.flush()
        return link, True
    except IntegrityError:  # a concurrent request issued it first
        again = session.scalar(
            select(FanLink).where(FanLink.fan_id == fan_id, FanLink.campaign_id == campaign_id)
        )
        assert again is not None
        return again, False


def find(session: Session, code: str) -> FanLink | None:
    """The link behind `code`; None for unknown or malformed codes (no query for those)."""
    if not CODE_RE.fullmatch(code):
        return None
    return session.scalar(select(FanLink).where(FanLink.code == code))
