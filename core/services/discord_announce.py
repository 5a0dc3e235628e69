"""Posts in the channels of bound servers: one per (message, server), committed as `sending`
before Discord is asked, so a worker that dies there leaves it for reconcile to look up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.models import (
    Artist,
    Campaign,
    DeliveryStatus,
    DiscordAnnouncement,
    DiscordBinding,
    ScheduledMessage,
)
from core.services import discord_bindings, send_state
from core.services.release_link import announcement_link
from core.timeutil import utcnow
from core.upsert import insert_ignore_many
from messages import render

POSTS = send_state.SendTable(DiscordAnnouncement)


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


def claim(session: Session, ids: Sequence[int], public_url: str) -> list[Post]:
    """Move due announcements to `sending` and word them; claimed by one worker only."""
    return _worded(session, send_state.claim(session, POSTS, ids), public_url)


def _worded(session: Session, ids: Sequence[int], public_url: str) -> list[Post]:
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
            Campaign.slug,
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
    for ann_id, channel_id, role_id, title, slug, artist in rows:
        body = render(
            "drop_announce_discord",
            role=f"<@&{role_id}>",
            artist=artist,
            title=title,
            release_link=announcement_link(public_url, slug),
        )
        posts.append(Post(ann_id, channel_id, role_id, body))
    return posts


def words_of(session: Session, ann_id: int, public_url: str) -> tuple[str | None, str | None]:
    """The channel and words of an announcement as it was posted (reconcile looks for
    exactly these words in the channel)."""
    posts = _worded(session, [ann_id], public_url)
    return (posts[0].channel_id, posts[0].body) if posts else (None, None)
