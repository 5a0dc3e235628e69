"""Funnel rollups: what the analytics read instead of the event log (kept by events.py).

Each row is a merge of events that does not depend on their order: a step's time is the
earliest, and an attribute is the value of the earliest event that has one (ties: the
smallest value), so applying events one by one equals recomputing them all at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime

# A country from Spotify (the fan's market) outranks one from the phone number.
COUNTRY_FROM_SPOTIFY = 0
COUNTRY_FROM_PHONE = 1


class FunnelFact(Base):
    """One fan in one campaign: where they came from and when they first reached each step."""

    __tablename__ = "funnel_facts"
    # Every read is one campaign's rows: SQLite keeps them together in primary-key order
    # (no rowid), so a campaign is one sequential range, not 100,000 lookups from an index.
    # No index per attribute: a breakdown reads the whole range anyway, and SQLite would
    # pick such an index for GROUP BY and look every row up through it (3x slower).
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(32))
    source_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(16))
    channel_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    country: Mapped[str | None] = mapped_column(String(2))
    country_rank: Mapped[int | None] = mapped_column(SmallInteger)
    country_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    region: Mapped[str | None] = mapped_column(String(64))
    region_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    link_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PageViewHour(Base):
    """Campaign page views in one hour from one source ('' when none): views have no fan."""

    __tablename__ = "page_view_hours"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class MessageReaction(Base):
    """A fan who opted out after a scheduled message ('opt_out': on the channel it reached
    them on) or opened their link or the release ('click') within 24 hours after it was
    sent to them. Kept by core/services/message_reactions.py as events are recorded."""

    __tablename__ = "message_reactions"
    # A message's reactions of one kind are one range of the primary key (counted from it).
    __table_args__ = ({"sqlite_with_rowid": False},)

    message_id: Mapped[int] = mapped_column(ForeignKey("scheduled_messages.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), primary_key=True)
