"""Discord servers bound to campaigns, pre-saver roles, announcements, received interactions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.models.messaging import SendState
from core.timeutil import utcnow

SNOWFLAKE = 24  # Discord ids: up to 20 decimal digits
GUILD_NAME = 100  # Discord's limit on a server's name
USER_NAME = 32  # and on a username


class DiscordBinding(Base):
    """A campaign bound to a Discord server: where its announcement goes, which role fans get."""

    __tablename__ = "discord_bindings"
    __table_args__ = (UniqueConstraint("campaign_id", "guild_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    guild_id: Mapped[str] = mapped_column(String(SNOWFLAKE), index=True)
    channel_id: Mapped[str] = mapped_column(String(SNOWFLAKE))
    role_id: Mapped[str] = mapped_column(String(SNOWFLAKE))
    bound_by: Mapped[str] = mapped_column(String(SNOWFLAKE))
    # Set when Discord refused to give the role (missing permission, role gone): grants wait
    # until /presave-setup is run again, instead of each one being refused again.
    role_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DiscordAllowance(Base):
    """The artist's consent that one Discord server may bind one campaign (`presave discord
    allow`); /presave-setup refuses a server without it."""

    __tablename__ = "discord_allowances"
    __table_args__ = (UniqueConstraint("campaign_id", "guild_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    guild_id: Mapped[str] = mapped_column(String(SNOWFLAKE), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DiscordBindRequest(Base):
    """A server that ran /presave-setup for a campaign it may not bind: pending on the
    artist's Discord page until allowed (the row goes) or dismissed (kept, and quiet)."""

    __tablename__ = "discord_bind_requests"
    __table_args__ = (UniqueConstraint("campaign_id", "guild_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    guild_id: Mapped[str] = mapped_column(String(SNOWFLAKE), index=True)
    guild_name: Mapped[str | None] = mapped_column(String(GUILD_NAME))  # as Discord gave it
    asked_by: Mapped[str] = mapped_column(String(SNOWFLAKE))  # the last admin who asked
    asked_by_name: Mapped[str | None] = mapped_column(String(USER_NAME))
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times_asked: Mapped[int] = mapped_column(Integer, default=1)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RoleGrantStatus(StrEnum):
    """Where one fan's pre-saver role in one server is."""

    WAITING = "waiting"  # the fan has not authorized Spotify yet
    QUEUED = "queued"
    GRANTED = "granted"
    FAILED = "failed"


class DiscordRoleGrant(Base):
    """A fan who ran /presave in a bound server: given its role once Spotify is authorized."""

    __tablename__ = "discord_role_grants"
    __table_args__ = (UniqueConstraint("binding_id", "fan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("discord_bindings.id"), index=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=RoleGrantStatus.WAITING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Not before this time (backoff, a 429, or another worker's lease).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DiscordAnnouncement(SendState, Base):
    """One message of a campaign posted in one bound server's channel: unique, posted once."""

    __tablename__ = "discord_announcements"
    __table_args__ = (UniqueConstraint("message_id", "binding_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("scheduled_messages.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("discord_bindings.id"), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(SNOWFLAKE))
    error_code: Mapped[str | None] = mapped_column(String(16))


class DiscordInteraction(Base):
    """An interaction received over HTTP, by Discord's id: the same one again is a replay."""

    __tablename__ = "discord_interactions"

    id: Mapped[str] = mapped_column(String(SNOWFLAKE), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
