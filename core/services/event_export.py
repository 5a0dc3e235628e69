"""A campaign's events as CSV, oldest first, optionally from a time on (`since`): read in
keyset chunks of (at, event id) over the events' (campaign, at, id) index, never OFFSET and
never the whole log in memory. Source and place come from fans' links and carriers, so those
cells are guarded against spreadsheet formulas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Integer, and_, bindparam, or_, select

from core.db import Db
from core.models import Event
from core.models.base import UTCDateTime
from core.services.csv_export import CHUNK, Chunk, Reader, guard, stream, utc
from core.validation import ValidationError

HEADER = ("event_id", "kind", "at_utc", "fan_id", "channel", "source", "country", "region")
FILE = "events.csv"
SINCE_WORDS = "an ISO 8601 time with its zone, e.g. 2026-12-01T00:00:00Z, or a date (UTC)"
Key = tuple[datetime, int]  # (at, event id) of the last row sent


def parse_since(raw: str | None) -> datetime | None:
    """The `since` query argument as an aware UTC time; None when not given. A date alone
    means its midnight UTC; a time without a zone is refused (it could be any zone)."""
    if raw is None or raw == "":
        return None
    if len(raw) > 40:
        raise ValidationError("since", SINCE_WORDS)
    text = raw.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("since", SINCE_WORDS) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValidationError("since", SINCE_WORDS)
    return when.astimezone(UTC)


def audit_detail(since: datetime | None) -> str:
    """What the audit log says about one download of this file."""
    return f"{FILE}: " + (f"events since {utc(since)}" if since else "all events")


def _statement(since: bool, keyed: bool) -> Any:
    """The chunk's SELECT, built once: parameters campaign_id, limit, and `since`, and the
    last row's at and event_id when `keyed`."""
    query = (
        select(
            Event.id,
            Event.kind,
            Event.at,
            Event.fan_id,
            Event.channel,
            Event.source,
            Event.country,
            Event.region,
        )
        .where(Event.campaign_id == bindparam("campaign_id", type_=Integer))
        .order_by(Event.at, Event.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if since:
        query = query.where(Event.at >= bindparam("since", type_=UTCDateTime()))
    if keyed:
        at = bindparam("at", type_=UTCDateTime())
        event_id = bindparam("event_id", type_=Integer)
        query = query.where(
            Event.at >= at,  # the index range; the next line is the exact cut
            or_(Event.at > at, and_(Event.at == at, Event.id > event_id)),
        )
    return query


# Built once at import, by (since given, after a row): each chunk only binds its values.
STATEMENTS = {(s, k): _statement(s, k) for s in (False, True) for k in (False, True)}


def read(
    db: Db, after: Key | None, *, campaign_id: int, since: datetime | None, limit: int
) -> Chunk[Key]:
    """Up to `limit` events after `after`, as CSV cells, and the key to continue from."""
    values: dict[str, object] = {"campaign_id": campaign_id, "limit": limit, "since": since}
    if after is not None:
        values.update(at=after[0], event_id=after[1])
    statement = STATEMENTS[since is not None, after is not None]
    found = db.execute(statement, values).all()
    rows = [
        (r.id, r.kind, utc(r.at), r.fan_id, r.channel, guard(r.source), guard(r.country),
         guard(r.region))
        for r in found
    ]  # fmt: skip
    more = len(found) == limit
    return Chunk(rows, (found[-1].at, found[-1].id) if more else None)


def csv_chunks(
    reader: Reader, campaign_id: int, *, since: datetime | None = None, chunk: int = CHUNK
) -> Iterator[str]:
    """The file's text in pieces of at most `chunk` rows, each read on its own connection
    (give `reader` core.db.read_connection: Core rows, a third faster than the ORM's)."""
    return stream(HEADER, reader, partial(read, campaign_id=campaign_id, since=since, limit=chunk))
