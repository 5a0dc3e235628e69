"""Keep `message_reactions` current: per scheduled message, the fans who opted out or
clicked within 24 hours after it was sent to them (what message_stats counts).

An opt-out (`stop`, `carrier_opt_out`) counts for the message's deliveries to that fan on
the event's channel; a click (`link_click`, `release_click`) for the deliveries of the
event's campaign to that fan, on any channel. A delivery's window is [sent_at, sent_at +
24 h). `apply` runs when the event is recorded (events.py), one INSERT ... SELECT over the
fan's few deliveries; `rebuild` recomputes the rows set-based from deliveries and the event
log (`presave stats rebuild`, the upgrade's backfill) and gives the same rows.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Interval,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Mapper

from core.db import Db
from core.models import Delivery, Event, ScheduledMessage
from core.models.funnel import MessageReaction
from core.upsert import dialect_insert

WINDOW = timedelta(hours=24)
OPT_OUT, CLICK = "opt_out", "click"
# The event kinds of each reaction.
KINDS = {"stop": OPT_OUT, "carrier_opt_out": OPT_OUT, "link_click": CLICK, "release_click": CLICK}
REACTIONS: Table = MessageReaction.__table__  # type: ignore[assignment]
DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]
MESSAGES: Table = ScheduledMessage.__table__  # type: ignore[assignment]
EVENTS: Table = Event.__table__  # type: ignore[assignment]
COLUMNS = ["message_id", "kind", "fan_id"]


@dataclass(frozen=True)
class Rebuilt:
    """Reaction rows removed and written by a rebuild."""

    removed: int
    written: int


def _dialect(db: Db) -> str:
    return (db.dialect if isinstance(db, Connection) else db.get_bind().dialect).name


@functools.cache
def _apply_statement(dialect: str, reaction: str) -> Any:
    """INSERT the reactions of one event (bound: fan, channel or campaign, its window) ...
    ON CONFLICT DO NOTHING; built once per database and reaction."""
    d = DELIVERIES.c
    where = [
        d.fan_id == bindparam("fan_id"),
        d.sent_at <= bindparam("at", type_=d.sent_at.type),
        d.sent_at > bindparam("since", type_=d.sent_at.type),
    ]
    query = select(d.message_id, literal(reaction), d.fan_id)
    if reaction == OPT_OUT:
        query = query.where(d.channel == bindparam("channel"), *where)
    else:
        m = MESSAGES.c
        query = query.join(MESSAGES, m.id == d.message_id).where(
            m.campaign_id == bindparam("campaign_id"), *where
        )
    insert = dialect_insert(dialect, REACTIONS).from_select(COLUMNS, query)
    return insert.on_conflict_do_nothing()


def apply(db: Db, kind: str, at: datetime, rows: Sequence[Mapping[str, object]]) -> None:
    """Fold `kind` events written at `at` into the reactions, in the caller's transaction
    (nothing for other kinds, or events without the fan, channel or campaign they need)."""
    reaction = KINDS.get(kind)
    if reaction is None:
        return
    needs = "channel" if reaction == OPT_OUT else "campaign_id"
    params = [
        {"fan_id": row["fan_id"], needs: row[needs], "at": at, "since": at - WINDOW}
        for row in rows
        if row.get("fan_id") is not None and row.get(needs) not in (None, "")
    ]
    if params:
        statement = _apply_statement(_dialect(db), reaction)
        db.execute(statement, params[0] if len(params) == 1 else params)


@orm_events.listens_for(Event, "after_insert")
def _event_added(_mapper: Mapper[Event], connection: Connection, row: Event) -> None:
    """An event written through the ORM (scripts, tests) is folded in as `record` does."""
    fields = {"fan_id": row.fan_id, "channel": row.channel, "campaign_id": row.campaign_id}
    apply(connection, row.kind, row.at, [fields])


def window_end(dialect: str, start: Any) -> Any:
    """`start` + 24 h in SQL, exact to the microsecond. SQLite keeps timestamps as text
    'YYYY-MM-DD HH:MM:SS.ffffff': the date arithmetic is on the whole seconds and the
    fraction is put back (its date functions keep milliseconds only)."""
    if dialect == "sqlite":
        hours = int(WINDOW.total_seconds() // 3600)
        whole = func.strftime("%Y-%m-%d %H:%M:%S", start, f"+{hours} hours")
        return whole.op("||")(func.substr(start, 20))
    return start + literal(WINDOW, Interval())


def _matches(dialect: str, reaction: str, campaign_id: int | None) -> Select[Any]:
    """Every (message, reaction, fan) the event log and the deliveries give, distinct."""
    d, e, m = DELIVERIES.c, EVENTS.c, MESSAGES.c
    kinds = sorted(k for k, r in KINDS.items() if r == reaction)
    joined = and_(
        e.fan_id == d.fan_id,
        e.kind.in_(kinds),
        e.at >= d.sent_at,
        e.at < window_end(dialect, d.sent_at),
        e.channel == d.channel if reaction == OPT_OUT else e.campaign_id == m.campaign_id,
    )
    query = (
        select(d.message_id, literal(reaction), d.fan_id)
        .select_from(DELIVERIES)
        .join(MESSAGES, m.id == d.message_id)
        .join(EVENTS, joined)
        .where(d.sent_at.is_not(None))
        .distinct()
    )
    return query if campaign_id is None else query.where(m.campaign_id == campaign_id)


def _count(db: Db, where: list[Any]) -> int:
    return int(db.execute(select(func.count()).select_from(REACTIONS).where(*where)).scalar_one())


def rebuild(db: Db, campaign_id: int | None = None) -> Rebuilt:
    """Replace the reactions of one campaign's messages (or all) with their recomputation,
    in the caller's transaction."""
    where: list[Any] = []
    if campaign_id is not None:
        messages = select(MESSAGES.c.id).where(MESSAGES.c.campaign_id == campaign_id)
        where = [REACTIONS.c.message_id.in_(messages)]
    removed = _count(db, where)
    db.execute(delete(REACTIONS).where(*where))
    dialect = _dialect(db)
    for reaction in (OPT_OUT, CLICK):
        query = _matches(dialect, reaction, campaign_id)
        db.execute(REACTIONS.insert().from_select(COLUMNS, query))
    return Rebuilt(removed, _count(db, where))
