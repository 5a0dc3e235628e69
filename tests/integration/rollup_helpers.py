"""Writing events at chosen times, and reading the rollup tables back, for the analytics tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.models import Event, Fan, FunnelFact, PageViewHour
from core.services import events


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """`events.record` and `record_many` stamp their events with `at`."""
    with mock.patch.object(events, "utcnow", return_value=at):
        yield


def record_at(session: Session, at: datetime, kind: str, **fields: Any) -> None:
    """One event written at `at`."""
    with clock(at):
        events.record(session, kind, **fields)


def make_fans(session: Session, count: int) -> list[int]:
    """`count` fans with distinct phone numbers, committed; their ids."""
    fans = [Fan(phone_e164=f"+1415555{n:04d}") for n in range(count)]
    session.add_all(fans)
    session.commit()
    return [fan.id for fan in fans]


def rollups(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every row of both rollup tables, in a fixed order."""
    facts = FunnelFact.__table__.c
    views = PageViewHour.__table__.c
    return (
        [
            tuple(r)
            for r in session.execute(select(*facts).order_by(facts.campaign_id, facts.fan_id))
        ],
        [
            tuple(r)
            for r in session.execute(
                select(*views).order_by(views.campaign_id, views.hour, views.source)
            )
        ],
    )


def clear(session: Session) -> None:
    """No events and no rollups."""
    for table in (FunnelFact, PageViewHour, Event):
        session.execute(delete(table.__table__))  # type: ignore[arg-type]
    session.commit()
