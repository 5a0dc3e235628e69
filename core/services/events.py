"""Record analytics events: the only way rows get into `events`.

Every step of a campaign's funnel is an event; analytics count them in unique fans.
"""

from __future__ import annotations

from sqlalchemy import Table, insert

from core.db import Db
from core.models import Event
from core.services import funnel_rollups, message_reactions
from core.timeutil import utcnow

_TABLE: Table = Event.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_FIELDS = ("campaign_id", "fan_id", "channel", "source", "country", "region")

# The funnel's steps, in order. A page view has no fan (counted in views); the others are
# counted once per fan and campaign, at the fan's first event of that kind.
PAGE_VIEW = "page_view"
OPT_IN = "optin"  # SMS keyword, web text-me confirmed, Discord /presave
LINK_OPENED = "link_click"
AUTHORIZED = "spotify_authorized"
SAVED = "saved"  # the release saved to the fan's library (country: the market)
DROP_DELIVERED = "drop_delivered"  # the drop-day message reached the fan (channel)
RELEASE_CLICKED = "release_click"  # the fan opened the release through /r/<code>
FUNNEL = (PAGE_VIEW, OPT_IN, LINK_OPENED, AUTHORIZED, SAVED, DROP_DELIVERED, RELEASE_CLICKED)


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
    """Insert one event now, and fold it into the funnel rollups and the message reactions
    (the caller's transaction commits them all); returns its id."""
    at = utcnow()
    values = {
        "kind": kind,
        "at": at,
        "campaign_id": campaign_id,
        "fan_id": fan_id,
        "channel": channel,
        "source": source,
        "country": country,
        "region": region,
    }
    event_id = int(session.execute(_INSERT, values).scalar_one())
    funnel_rollups.apply(session, kind, at, [values])
    message_reactions.apply(session, kind, at, [values])
    return event_id


def record_many(session: Db, kind: str, rows: list[dict[str, object]]) -> int:
    """Insert one `kind` event per row now, in one statement (drop day's batches); each row
    may give the fields `record` takes; the funnel rollups take the batch in one statement.
    Returns how many were written."""
    if not rows:
        return 0
    at = utcnow()
    values = [{"kind": kind, "at": at, **{f: row.get(f) for f in _FIELDS}} for row in rows]
    session.execute(insert(_TABLE), values)
    funnel_rollups.apply(session, kind, at, values)
    message_reactions.apply(session, kind, at, values)
    return len(values)
