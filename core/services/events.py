"""Record analytics events."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, insert
from sqlalchemy.orm import Session

from core.models import Event
from core.timeutil import utcnow


@functools.cache
def _insert() -> Insert:
    return insert(Event.__table__)  # type: ignore[arg-type]


def _values(kind: str, **fields: Any) -> dict[str, Any]:
    names = ("campaign_id", "fan_id", "channel", "source", "country", "region")
    return {"kind": kind, "at": utcnow(), **{name: fields.get(name) for name in names}}


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
    """Add one event as an ORM object (when the caller needs its id or row)."""
    event = Event(
        **_values(
            kind,
            campaign_id=campaign_id,
            fan_id=fan_id,
            channel=channel,
            source=source,
            country=country,
            region=region,
        )
    )
    session.add(event)
    return event


def log(
    session: Session,
    kind: str,
    *,
    campaign_id: int | None = None,
    fan_id: int | None = None,
    channel: str | None = None,
    source: str | None = None,
    country: str | None = None,
    region: str | None = None,
) -> None:
    """Insert one event at once with a prebuilt statement (hot paths: webhooks, fan-outs)."""
    session.execute(
        _insert(),
        _values(
            kind,
            campaign_id=campaign_id,
            fan_id=fan_id,
            channel=channel,
            source=source,
            country=country,
            region=region,
        ),
    )
