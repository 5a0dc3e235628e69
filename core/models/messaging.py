"""Messages scheduled by an artist and their delivery to each fan on each channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class MessageStatus(StrEnum):
    """Where a scheduled message is."""

    SCHEDULED = "scheduled"
    SENDING = "sending"  # its deliveries are made: going out, held or waiting to retry
    DONE = "done"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # its moment passed before it could go out (a countdown after release)


class DeliveryStatus(StrEnum):
    """Where one message to one fan on one channel is."""

    QUEUED = "queued"
    HELD = "held"
    SENDING = "sending"  # handed to the provider; a crash here is settled by asking it
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNDELIVERABLE = "undeliverable"  # the channel refuses this fan (Discord 50007): no retry
    SKIPPED = "skipped"  # no longer true when it could go out (quiet hours, the daily cap)


class ScheduledMessage(Base):
    """A countdown or drop message of a campaign, rendered from a template for each fan."""

    __tablename__ = "scheduled_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # countdown | drop
    template: Mapped[str] = mapped_column(String(64))
    # The text as scheduled (a built-in template's, or the artist's own); None: the drop
    # message's default wording.
    body: Mapped[str | None] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(String(64), default="sms,discord")
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # No longer true from then on (a countdown, at the release): never sent after it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SendState:
    """The columns every outgoing message keeps while it waits, goes out or fails."""

    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Held (quiet hours, backoff) until this time; None: send as soon as possible.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Delivery(SendState, Base):
    """One message to one fan on one channel: unique, so nobody is texted twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "fan_id", "channel"),
        # A message's deliveries per channel and status (drop status, message stats: how
        # many were sent), from the index alone.
        Index(
            "ix_deliveries_message_channel_status_sent",
            "message_id",
            "channel",
            "status",
            "sent_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("scheduled_messages.id"), index=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))


class OutboundText(SendState, Base):
    """A one-off SMS (the web opt-in's confirmation), kept until it went out or cannot.

    Written in the same transaction as the opt-in it confirms, so a lost queue (Redis down,
    flushed) or a failed send is found again by reconcile instead of never arriving.
    """

    __tablename__ = "outbound_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    to_number: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    # The inbound MessageSid this text answers: a reply given later, the database having
    # been down when the text came in. Unique: one reply per inbound text.
    answers_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
