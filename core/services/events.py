"""Record analytics events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import Event


def record(
    session: Session,
    kind: str,
    *,
    campaign_id: int | None = None,
    fan_id: int | None = None,
    channel: str | None = None,
    source: str | None = None,
    country: str | None = None,
    region: str | None = None,
) -> Event:
    """Add one event (the caller's transaction commits it)."""
    event = Event(
        kind=kind,
        campaign_id=campaign_id,
        fan_id=fan_id,
        channel=channel,
        source=source,
        country=country,
        region=region,
    )
    session.add(event)
    return event
