"""Record analytics events."""

from __future__ import annotations

from sqlalchemy import Table, insert

from core.db import Db
from core.models import Event
from core.timeutil import utcnow

_TABLE: Table = Event.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE).returning(_TABLE.c.id)


def record(
    session: Db,
    kind: str,
    *,
    campaign_id: int | None = None,
    fan_id: int | None = None,
    channel: str | None = None,
    source: str | None = None,
    country: str | None = None,
    region: str | None = None,
) -> int:
    """Insert one event now (the caller's transaction commits it); returns its id."""
    values = {
        "kind": kind,
        "at": utcnow(),
        "campaign_id": campaign_id,
        "fan_id": fan_id,
        "channel": channel,
        "source": source,
        "country": country,
        "region": region,
    }
    return int(session.execute(_INSERT, values).scalar_one())
