"""A team's analytics events after a cursor (the last event id a client has), oldest first:
what a CRM sync polls. Keyset on the event id, never OFFSET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Artist, Campaign, Event
from core.validation import ValidationError

MAX_LIMIT = 1000


@dataclass(frozen=True)
class EventRow:
    """One event as the API gives it."""

    id: int
    kind: str
    campaign_id: int
    fan_id: int | None
    channel: str | None
    source: str | None
    country: str | None
    region: str | None
    at: datetime


@dataclass(frozen=True)
class EventPage:
    """Events after the cursor, and the cursor to ask from next (the last id seen, or the
    cursor given when there is nothing new)."""

    rows: tuple[EventRow, ...]
    next_after: int


def since(
    session: Session,
    team_id: int,
    *,
    after: int = 0,
    limit: int = 100,
    campaign_ids: list[int] | None = None,
) -> EventPage:
    """The team's events with an id above `after`, oldest first, at most `limit`; only the
    campaigns in `campaign_ids` when given (they must be the team's: the caller checks).
    ValidationError names a refused `after` or `limit`."""
    if after < 0:
        raise ValidationError("after", "an event id: 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"a number from 1 to {MAX_LIMIT}")
    team_campaigns = select(Campaign.id).join(Artist, Artist.id == Campaign.artist_id)
    team_campaigns = team_campaigns.where(Artist.team_id == team_id)
    query = (
        select(Event)
        .where(Event.id > after, Event.campaign_id.in_(team_campaigns))
        .order_by(Event.id)
        .limit(limit)
    )
    if campaign_ids is not None:
        query = query.where(Event.campaign_id.in_(campaign_ids))
    rows = tuple(
        EventRow(
            id=e.id, kind=e.kind, campaign_id=int(e.campaign_id or 0), fan_id=e.fan_id,
            channel=e.channel, source=e.source, country=e.country, region=e.region, at=e.at,
        )
        for e in session.scalars(query)
    )  # fmt: skip
    return EventPage(rows, rows[-1].id if rows else after)
