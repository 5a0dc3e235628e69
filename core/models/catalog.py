"""Artists and their campaigns (one campaign per release)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class CampaignStatus(StrEnum):
    """Where a campaign is in its life."""

    OPEN = "open"
    CLOSED = "closed"


class Artist(Base):
    """A music artist (or band) that runs campaigns."""

    __tablename__ = "artists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    spotify_artist_id: Mapped[str | None] = mapped_column(String(22))
    # The team whose people manage this artist's campaigns in the web app (None: CLI only).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="artist")


class Campaign(Base):
    """One release an artist asks fans to pre-save, and how to find it on Spotify."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    keyword: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.OPEN)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    spotify_album_id: Mapped[str | None] = mapped_column(String(22))
    upc: Mapped[str | None] = mapped_column(String(13))
    isrc: Mapped[str | None] = mapped_column(String(12))
    spotify_artist_id: Mapped[str | None] = mapped_column(String(22))
    action_save: Mapped[bool] = mapped_column(Boolean, default=True)
    action_follow: Mapped[bool] = mapped_column(Boolean, default=True)
    artwork_url: Mapped[str | None] = mapped_column(String(500))
    # Drop day: the album found live (first market), when, and when the watch looks next.
    release_album_id: Mapped[str | None] = mapped_column(String(22))
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detected_market: Mapped[str | None] = mapped_column(String(2))
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The SMS sender's throughput for send planning (core.services.send_plan): its kind
    # (long_code, toll_free, short_code, messaging_service), the numbers in a Messaging
    # Service, and the texts it may send a day (None: no cap). TWILIO_MPS overrides the rate.
    sms_sender: Mapped[str] = mapped_column(
        String(20), default="long_code", server_default="long_code"
    )
    sms_sender_numbers: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    sms_daily_cap: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    artist: Mapped[Artist] = relationship(back_populates="campaigns")
