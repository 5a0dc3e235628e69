"""Posts in the channels of bound servers: one per (message, server), committed as `sending`
before Discord is asked, so a worker that dies there leaves it for reconcile to look up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from core.models import (
    Artist,
    Campaign,
    DeliveryStatus,
    DiscordAnnouncement,
    DiscordBinding,
    ScheduledMessage,
)
from core.services import discord_bindings
from core.services.links import album_link
from core.timeutil import utcnow
from core.upsert import insert_ignore_many
from messages import render

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.HELD)


@dataclass(frozen=True)
class Post:
    """A claimed announcement, ready to post."""

    id: int
    channel_id: str
    role_id: str
    body: str


def create(session: Session, message_id: int, campaign_id: int) -> list[int]:
    """An announcement of the message in every server the campaign is bound to (and still
    allowed by the artist); the ids created now (a second call creates none)."""
    bindings = discord_bindings.allowed_bindings(session, campaign_id)
    now = utcnow()
    rows = [
        {"message_id": message_id, "binding_id": b, "status": DeliveryStatus.QUEUED.value}
        | {"attempts": 0, "created_at": now, "updated_at": now}
        for b in bindings
    ]
    table: Table = DiscordAnnouncement.__table__  # type: ignore[assignment]
    return sorted(int(i) for i in insert_ignore_many(session, table, rows, DiscordAnnouncement.id))


def claim(session: Session, ids: Sequence[int]) -> list[Post]:
    """Move due announcements to `sending` and word them; claimed by one worker only."""
    if not ids:
        return []
    now = utcnow()
    claimed = session.execute(
        update(DiscordAnnouncement)
        .where(
            DiscordAnnouncement.id.in_(ids),
            DiscordAnnouncement.status.in_(PENDING),
            or_(DiscordAnnouncement.not_before.is_(None), DiscordAnnouncement.not_before <= now),
        )
        .values(status=DeliveryStatus.SENDING, attempts=DiscordAnnouncement.attempts + 1)
        .values(updated_at=now)
        .returning(DiscordAnnouncement.id),
        execution_options={"synchronize_session": False},
    )
    return _worded(session, list(claimed.scalars()))


def _worded(session: Session, ids: Sequence[int]) -> list[Post]:
    """These announcements as they are posted. Nothing in them depends on the time, so
    reconcile words a stuck one again exactly as it went out (unless its campaign or binding
    was edited meanwhile: then nothing matches and it is queued again)."""
    if not ids:
        return []
    rows = session.execute(
        select(
            DiscordAnnouncement.id,
            DiscordBinding.channel_id,
            DiscordBinding.role_id,
            Campaign.title,
            Campaign.release_album_id,
            Artist.name,
        )
        .join(DiscordBinding, DiscordBinding.id == DiscordAnnouncement.binding_id)
        .join(ScheduledMessage, ScheduledMessage.id == DiscordAnnouncement.message_id)
        .join(Campaign, Campaign.id == ScheduledMessage.campaign_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(DiscordAnnouncement.id.in_(ids))
        .order_by(DiscordAnnouncement.id)
    )
    posts = []
    for ann_id, channel_id, role_id, title, album_id, artist in rows:
        body = render(
            "drop_announce_discord",
            role=f"<@&{role_id}>",
            artist=artist,
            title=title,
            release_link=album_link(album_id or ""),
        )
        posts.append(Post(ann_id, channel_id, role_id, body))
    return posts


def _set(session: Session, ann_id: int, **values: object) -> None:
    session.execute(
        update(DiscordAnnouncement)
        .where(DiscordAnnouncement.id == ann_id)
        .values(updated_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )


def mark_sent(session: Session, ann_id: int, message_id: str) -> None:
    """Discord posted it."""
    _set(session, ann_id, status=DeliveryStatus.SENT, provider_id=message_id, sent_at=utcnow())


def mark_failed(session: Session, ann_id: int, error: str, code: str | None = None) -> None:
    """It will not be posted (the reason is kept for the artist)."""
    _set(session, ann_id, status=DeliveryStatus.FAILED, error=error[:500], error_code=code)


def retry_later(session: Session, ann_id: int, seconds: float, error: str) -> None:
    """Back to queued, not before `seconds` from now."""
    when = utcnow() + timedelta(seconds=seconds)
    _set(session, ann_id, status=DeliveryStatus.QUEUED, not_before=when, error=error[:500])


def stuck_sending(session: Session, older_than: timedelta) -> list[tuple[Post, datetime]]:
    """Announcements a dead worker left `sending`, worded as they were posted, and when they
    were claimed (reconcile looks for exactly these words in the channel)."""
    cutoff = utcnow() - older_than
    rows = session.execute(
        select(DiscordAnnouncement.id, DiscordAnnouncement.updated_at)
        .where(
            DiscordAnnouncement.status == DeliveryStatus.SENDING,
            DiscordAnnouncement.updated_at < cutoff,
        )
        .limit(1000)
    )
    claimed_at = {int(ann_id): at for ann_id, at in rows}
    return [(post, claimed_at[post.id]) for post in _worded(session, list(claimed_at))]


def due(session: Session) -> list[int]:
    """Queued announcements whose time has come (for reconcile)."""
    now = utcnow()
    query = select(DiscordAnnouncement.id).where(
        DiscordAnnouncement.status.in_(PENDING),
        or_(DiscordAnnouncement.not_before.is_(None), DiscordAnnouncement.not_before <= now),
    )
    return list(session.scalars(query.order_by(DiscordAnnouncement.id).limit(1000)))
