"""Personal links: an unguessable code per (fan, campaign), and the inbound SMS log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class FanLink(Base):
    """The code behind `PUBLIC_URL/p/<code>`: bound to one fan and one campaign, reusable."""

    __tablename__ = "fan_links"
    __table_args__ = (
        UniqueConstraint("fan_id", "campaign_id"),
        # The artist's fan list: a campaign's fans newest first, paged by (joined, fan).
        Index("ix_fan_links_campaign_created_fan", "campaign_id", "created_at", "fan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundMessage(Base):
    """One inbound SMS by provider id, with the reply we gave: a retry gets the same reply."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_from_intent_at", "from_number", "intent", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(16))
    to_number: Mapped[str] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
