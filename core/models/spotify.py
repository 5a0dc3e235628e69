"""Spotify authorizations and the pre-saves they make possible."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class GrantStatus(StrEnum):
    """Whether a grant can still act for its fan."""

    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    REVOKED = "revoked"


class PreSaveStatus(StrEnum):
    """The fate of one fan's pre-save, readable by fans and artists."""

    PENDING = "pending"
    SAVED = "saved"
    QUEUED_FOR_MARKET = "queued_for_market"
    PENDING_SOURCE = "pending_source"
    NEEDS_RECONNECT = "needs_reconnect"
    QUOTA = "quota"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SpotifyGrant(Base):
    """A fan's Spotify authorization; tokens are stored encrypted only."""

    __tablename__ = "spotify_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), unique=True)
    spotify_user_id: Mapped[str] = mapped_column(String(64))
    refresh_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default=GrantStatus.ACTIVE, index=True)
    authorized_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the refresh token will die before a release the fan pre-saved: ask to reconnect.
    reconnect_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PreSave(Base):
    """One fan's pre-save of one campaign: unique per (campaign, fan)."""

    __tablename__ = "presaves"
    __table_args__ = (
        UniqueConstraint("campaign_id", "fan_id"),
        # Counts per status, markets still waiting, the save pace: from the index alone.
        Index("ix_presaves_campaign_status_market", "campaign_id", "status", "market"),
        Index("ix_presaves_campaign_saved_at", "campaign_id", "saved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PreSaveStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The fan's Spotify market, copied from the grant so the fan-out can pick by market.
    market: Mapped[str | None] = mapped_column(String(2))
    # Not before this time (backoff after 5xx, 429, or the 5-minute invalid_grant recheck).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When invalid_grant was first seen: reconnect is decided only on a repeat >= 5 min later.
    revoked_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
