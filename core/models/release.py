"""Where and when a campaign's release was found live on Spotify."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class ReleaseMarket(Base):
    """A market (ISO country, or "*" when Spotify gave no market) where the release is live."""

    __tablename__ = "release_markets"
    __table_args__ = (UniqueConstraint("campaign_id", "market"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    market: Mapped[str] = mapped_column(String(2))
    album_id: Mapped[str] = mapped_column(String(22))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # How it was found: "album_id", "upc", "isrc" or "manual".
    method: Mapped[str] = mapped_column(String(16))
