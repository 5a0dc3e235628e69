"""Events: every step a fan takes, for conversion by source, channel and region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class Event(Base):
    """One thing that happened, with where it came from."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_campaign_kind", "campaign_id", "kind"),
        # A fan's last event in a campaign (the fan list), read from the index alone.
        Index("ix_events_campaign_fan_at", "campaign_id", "fan_id", "at"),
        # The events download: a campaign's events in time order, paged by (at, id).
        Index("ix_events_campaign_at_id", "campaign_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    fan_id: Mapped[int | None] = mapped_column(ForeignKey("fans.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
