"""Keep the funnel rollups current as events are written (events.py calls this).

A funnel event upserts its fan's row in `funnel_facts`; a page view adds to its hour in
`page_view_hours`; other events touch nothing. Every update is a merge that gives the same
row whatever order the events arrive in (see core/models/funnel.py), which is what lets
`funnel_rebuild` recompute the tables from the event log and get the same result.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, case, or_
from sqlalchemy.sql.elements import ColumnElement

from core.db import Db
from core.models.funnel import COUNTRY_FROM_PHONE, COUNTRY_FROM_SPOTIFY, FunnelFact, PageViewHour
from core.upsert import dialect_insert

FACTS: Table = FunnelFact.__table__  # type: ignore[assignment]
VIEWS: Table = PageViewHour.__table__  # type: ignore[assignment]

PAGE_VIEW = "page_view"
# Each fan step's event kind and the column that keeps its first time.
STEP_COLUMNS = {
    "optin": "opted_in_at",
    "link_click": "link_opened_at",
    "spotify_authorized": "authorized_at",
    "saved": "saved_at",
    "drop_delivered": "delivered_at",
    "release_click": "release_clicked_at",
}
# Events whose country is the fan's Spotify market (it wins over a phone number's country).
SPOTIFY_COUNTRY_KINDS = frozenset({"spotify_authorized", "saved"})
ATTRIBUTES = ("source", "channel", "country", "region")


def _dialect(db: Db) -> str:
    return (db.dialect if isinstance(db, Connection) else db.get_bind().dialect).name


def _earlier(new: list[Any], old: list[Any]) -> ColumnElement[bool]:
    """`new` sorts before `old`, compared column by column (a tuple comparison)."""
    first: ColumnElement[bool] = new[0] < old[0]
    if len(new) == 1:
        return first
    return or_(first, and_(new[0] == old[0], _earlier(new[1:], old[1:])))


def _attribute_merge(statement: Any, name: str) -> dict[str, Any]:
    """SET clauses that keep the attribute of the earliest event having one."""
    new, old = statement.excluded, FACTS.c
    keys = [f"{name}_at", name]
    if name == "country":
        keys = ["country_rank", *keys]
    wins = and_(
        new[name].is_not(None),
        or_(old[name].is_(None), _earlier([new[k] for k in keys], [old[k] for k in keys])),
    )
    return {k: case((wins, new[k]), else_=old[k]) for k in keys}


@functools.cache
def _fact_upsert(dialect: str, kind: str) -> Any:
    """INSERT one fan's step ... ON CONFLICT merge it; built once per database and kind."""
    column = STEP_COLUMNS[kind]
    statement = dialect_insert(dialect, FACTS)
    new, old = statement.excluded, FACTS.c
    merge = {column: case((or_(old[column].is_(None), new[column] < old[column]), new[column]),
                          else_=old[column])}  # fmt: skip
    for name in ATTRIBUTES:
        merge.update(_attribute_merge(statement, name))
    return statement.on_conflict_do_update(index_elements=["campaign_id", "fan_id"], set_=merge)


@functools.cache
def _views_upsert(dialect: str) -> Any:
    """INSERT an hour's views ... ON CONFLICT add them."""
    statement = dialect_insert(dialect, VIEWS)
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "hour", "source"],
        set_={"views": VIEWS.c.views + statement.excluded.views},
    )


def _value(row: Mapping[str, object], field: str) -> object:
    """The field's value, empty text counted as none."""
    value = row.get(field)
    return None if value == "" else value


def _fact_row(kind: str, at: datetime, row: Mapping[str, object]) -> dict[str, object]:
    values: dict[str, object] = {
        "campaign_id": row["campaign_id"],
        "fan_id": row["fan_id"],
        STEP_COLUMNS[kind]: at,
    }
    for name in ATTRIBUTES:
        value = _value(row, name)
        values[name] = value
        values[f"{name}_at"] = at if value is not None else None
    values["country_rank"] = (
        None
        if values["country"] is None
        else COUNTRY_FROM_SPOTIFY
        if kind in SPOTIFY_COUNTRY_KINDS
        else COUNTRY_FROM_PHONE
    )
    return values


def hour_of(at: datetime) -> datetime:
    """The start of the hour `at` falls in."""
    return at.replace(minute=0, second=0, microsecond=0)


def apply(db: Db, kind: str, at: datetime, rows: Sequence[Mapping[str, object]]) -> None:
    """Fold `kind` events written at `at` (each row: the event's fields) into the rollups,
    in the caller's transaction: one statement for the whole batch."""
    if kind == PAGE_VIEW:
        views = Counter(
            (row["campaign_id"], _value(row, "source") or "")
            for row in rows
            if row.get("campaign_id") is not None
        )
        if views:
            db.execute(
                _views_upsert(_dialect(db)),
                [
                    {"campaign_id": c, "hour": hour_of(at), "source": s, "views": n}
                    for (c, s), n in views.items()
                ],
            )
        return
    if kind not in STEP_COLUMNS:
        return
    facts = [
        _fact_row(kind, at, row)
        for row in rows
        if row.get("campaign_id") is not None and row.get("fan_id") is not None
    ]
    if facts:
        statement = _fact_upsert(_dialect(db), kind)
        db.execute(statement, facts[0] if len(facts) == 1 else facts)
