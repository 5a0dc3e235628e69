"""Tables of the fan-link and Spotify authorization flow: spent state nonces, visit details."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime
from core.timeutil import utcnow


class OAuthNonce(Base):
    """A nonce of an OAuth `state` that was already used: a replay finds it and is refused."""

    __tablename__ = "oauth_nonces"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # After this the state is expired anyway, so the row can go.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PageVisit(Base):
    """Details of a page-view or link-click event: the device class and UTM tags."""

    __tablename__ = "page_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    device: Mapped[str] = mapped_column(String(20))
    utm_medium: Mapped[str | None] = mapped_column(String(32))
    utm_campaign: Mapped[str | None] = mapped_column(String(32))
