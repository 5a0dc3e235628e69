"""Interactions received over HTTP: each is handled once, and only while it is fresh."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from core.db import Db
from core.models import DiscordInteraction
from core.upsert import insert_ignore

# Discord answers an interaction within 3 s and never sends it twice; a request signed longer
# ago than this, or an id seen before, is somebody replaying a captured one.
FRESH_FOR = timedelta(minutes=5)


def accept(session: Db, interaction_id: str, signed_at: datetime, now: datetime) -> str | None:
    """None when the interaction is new and fresh (now recorded), else why it is refused."""
    if abs(now - signed_at) > FRESH_FOR:
        return "stale timestamp"
    new = insert_ignore(
        session,
        DiscordInteraction.__table__,  # type: ignore[arg-type]
        {"id": interaction_id, "received_at": now},
        DiscordInteraction.id,
    )
    return None if new is not None else "replayed interaction"


def forget_old(session: Db, now: datetime) -> int:
    """Drop ids too old to be replayed anyway (their timestamps would be refused)."""
    result = session.execute(
        delete(DiscordInteraction.__table__).where(  # type: ignore[arg-type]
            DiscordInteraction.received_at < now - 2 * FRESH_FOR
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
