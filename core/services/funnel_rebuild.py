"""Recompute the funnel rollups from the event log, set-based (`presave stats rebuild`).

The result equals what `funnel_rollups` keeps incrementally: a step's time is the fan's
earliest event of that kind; an attribute is the value of the earliest event that has one
(ties: the smallest value; for the country a Spotify market first, then a phone country).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    case,
    delete,
    func,
    insert,
    select,
)

from core.db import Db
from core.models import Event
from core.models.funnel import COUNTRY_FROM_PHONE, COUNTRY_FROM_SPOTIFY
from core.services import message_reactions
from core.services.funnel_rollups import (
    ATTRIBUTES,
    FACTS,
    PAGE_VIEW,
    SPOTIFY_COUNTRY_KINDS,
    STEP_COLUMNS,
    VIEWS,
)

EVENTS = Event.__table__


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild replaced: rows removed and written in each table."""

    campaign_id: int | None
    facts_removed: int
    facts_written: int
    hours_removed: int
    hours_written: int
    reactions_removed: int = 0
    reactions_written: int = 0


def _dialect(db: Db) -> str:
    return (db.dialect if isinstance(db, Connection) else db.get_bind().dialect).name


def _scope(query: Select[Any], campaign_id: int | None) -> Select[Any]:
    query = query.where(EVENTS.c.campaign_id.is_not(None))
    return query if campaign_id is None else query.where(EVENTS.c.campaign_id == campaign_id)


def _firsts(campaign_id: int | None) -> Any:
    """The fan step events, each with its fan's winning attributes beside it (window
    functions over the fan's events: the rows with a value first, then by time and value)."""
    partition = (EVENTS.c.campaign_id, EVENTS.c.fan_id)
    columns: list[Any] = [*partition, EVENTS.c.kind, EVENTS.c.at]
    for name in ATTRIBUTES:
        value = func.nullif(EVENTS.c[name], "")
        order: list[Any] = [case((value.is_(None), 1), else_=0), EVENTS.c.at, value]
        if name == "country":
            rank = case(
                (EVENTS.c.kind.in_(sorted(SPOTIFY_COUNTRY_KINDS)), COUNTRY_FROM_SPOTIFY),
                else_=COUNTRY_FROM_PHONE,
            )
            order.insert(1, rank)
            columns.append(func.first_value(rank).over(partition_by=partition, order_by=order)
                           .label("country_rank"))  # fmt: skip
        columns.append(func.first_value(value).over(partition_by=partition, order_by=order)
                       .label(name))  # fmt: skip
        columns.append(func.first_value(EVENTS.c.at).over(partition_by=partition, order_by=order)
                       .label(f"{name}_at"))  # fmt: skip
    query = select(*columns).where(
        EVENTS.c.kind.in_(sorted(STEP_COLUMNS)), EVENTS.c.fan_id.is_not(None)
    )
    return _scope(query, campaign_id).subquery("firsts")


def _facts_query(campaign_id: int | None) -> Select[Any]:
    """One row per fan: the first time of each step, the winning attributes (a time or
    rank only where there is a value)."""
    firsts = _firsts(campaign_id)
    columns: list[Any] = [firsts.c.campaign_id, firsts.c.fan_id]
    columns += [
        func.min(case((firsts.c.kind == kind, firsts.c.at))).label(column)
        for kind, column in STEP_COLUMNS.items()
    ]
    for name in ATTRIBUTES:
        value = func.min(firsts.c[name])
        columns.append(value.label(name))
        extras = [f"{name}_at"] + (["country_rank"] if name == "country" else [])
        columns += [
            case((value.is_(None), None), else_=func.min(firsts.c[extra])).label(extra)
            for extra in extras
        ]
    return select(*columns).group_by(firsts.c.campaign_id, firsts.c.fan_id)


def _hour(dialect: str, at: Any) -> Any:
    """The start of `at`'s hour, stored as an incremental write stores it."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:00:00.000000", at)
    return func.timezone("UTC", func.date_trunc("hour", func.timezone("UTC", at)))


def _views_query(dialect: str, campaign_id: int | None) -> Select[Any]:
    hour = _hour(dialect, EVENTS.c.at)
    source = func.coalesce(func.nullif(EVENTS.c.source, ""), "")
    return _scope(
        select(EVENTS.c.campaign_id, hour, source, func.count())
        .where(EVENTS.c.kind == PAGE_VIEW)
        .group_by(EVENTS.c.campaign_id, hour, source),
        campaign_id,
    )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _count(db: Db, table: Any, where: list[Any]) -> int:
    """Rows of the table in scope (PostgreSQL reports no row count for INSERT ... SELECT)."""
    return int(db.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def rebuild(db: Db, campaign_id: int | None = None) -> Rebuilt:
    """Replace the rollups of one campaign (or all) with their recomputation, in the caller's
    transaction (a few writes, none of them a loop over events): the funnel facts, the page
    view hours and the scheduled messages' reactions."""
    facts_where = [] if campaign_id is None else [FACTS.c.campaign_id == campaign_id]
    views_where = [] if campaign_id is None else [VIEWS.c.campaign_id == campaign_id]
    facts_removed = _rowcount(db.execute(delete(FACTS).where(*facts_where)))
    hours_removed = _rowcount(db.execute(delete(VIEWS).where(*views_where)))
    query = _facts_query(campaign_id)
    names = [column.name for column in query.selected_columns]
    db.execute(insert(FACTS).from_select(names, query))
    views = _views_query(_dialect(db), campaign_id)
    db.execute(insert(VIEWS).from_select(["campaign_id", "hour", "source", "views"], views))
    reactions = message_reactions.rebuild(db, campaign_id)
    return Rebuilt(
        campaign_id,
        facts_removed,
        _count(db, FACTS, facts_where),
        hours_removed,
        _count(db, VIEWS, views_where),
        reactions.removed,
        reactions.written,
    )
