"""Fans and their consent to be messaged, per channel and campaign."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class Channel(StrEnum):
    """Where a fan can be reached."""

    SMS = "sms"
    DISCORD = "discord"


class ConsentStatus(StrEnum):
    """Whether a fan may be messaged on a channel."""

    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class Fan(Base):
    """A person, known by phone, Discord user id and/or Spotify user id."""

    __tablename__ = "fans"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_e164: Mapped[str | None] = mapped_column(String(16), unique=True)
    discord_user_id: Mapped[str | None] = mapped_column(String(24), unique=True)
    spotify_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The DM channel Discord opened with this fan (one request saved per later message), and
    # when Discord last refused a DM to them (50007: DMs closed); cleared when they run a
    # command again.
    discord_dm_channel_id: Mapped[str | None] = mapped_column(String(24))
    discord_dms_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    consents: Mapped[list[Consent]] = relationship(back_populates="fan")


class Consent(Base):
    """A fan's opt-in or opt-out for one campaign on one channel and sender."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("fan_id", "campaign_id", "channel"),
        # The fan list's opted-out filter: a campaign's stopped fans, from the index alone.
        Index("ix_consents_campaign_status_fan", "campaign_id", "status", "fan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ConsentStatus.OPTED_IN)
    source: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fan: Mapped[Fan] = relationship(back_populates="consents")


class OptOut(Base):
    """A number (or account) that said STOP to a sender: no message to it on that sender."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("fan_id", "channel", "sender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PhoneConfirmation(Base):
    """A number entered on a campaign page: texted once to ask for YES, opted in only when
    its owner replies YES (or the keyword) from it (double opt-in)."""

    __tablename__ = "phone_confirmations"
    __table_args__ = (UniqueConstraint("fan_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    sender: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    # When the request text was last queued; a new request before RESEND_AFTER texts nothing.
    texted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
