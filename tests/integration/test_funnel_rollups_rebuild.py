"""The rollups kept event by event equal their rebuild from the event log, on random event
streams (out-of-order times, ties, repeats, batches), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from cli import migrate
from core.models import Campaign, Fan
from core.services import events, funnel_rebuild
from tests.factories import make_campaign
from tests.integration.rollup_helpers import clear, clock, make_fans, rollups

BASE = datetime(2026, 12, 4, 22, 50, tzinfo=UTC)
KINDS = (*events.FUNNEL, "duplicate_optin", "stop", "spotify_quota")
FANS = 4


def _event(campaigns: list[int], fans: list[int]) -> Any:
    maybe = st.sampled_from
    return st.fixed_dictionaries(
        {
            "campaign_id": maybe([*campaigns, None]),
            "fan_id": maybe([*fans, None]),
            "channel": maybe([None, "", "sms", "discord"]),
            "source": maybe([None, "", "tiktok", "ig", "web"]),
            "country": maybe([None, "", "US", "GB", "SE"]),
            "region": maybe([None, "CA", "NY"]),
        }
    )


def _stream(campaigns: list[int], fans: list[int]) -> Any:
    """Writes: (kind, time, rows); one row is a `record`, more a `record_many`. Times repeat
    and go backwards (minutes around an hour's end, so page views straddle two hours)."""
    at = st.integers(0, 20).map(lambda m: BASE + timedelta(minutes=m))
    rows = st.lists(_event(campaigns, fans), min_size=1, max_size=4)
    return st.lists(st.tuples(st.sampled_from(KINDS), at, rows), max_size=25)


def _write(session: Session, stream: list[tuple[str, datetime, list[dict[str, Any]]]]) -> None:
    for kind, at, rows in stream:
        with clock(at):
            if len(rows) == 1:
                events.record(session, kind, **rows[0])
            else:
                events.record_many(session, kind, rows)
        session.commit()


def _rows(session: Session) -> tuple[list[int], list[int]]:
    """The test database's two campaigns and its fans, made on the first example (the
    database outlives hypothesis's examples; `clear` empties only events and rollups)."""
    campaigns = list(session.scalars(select(Campaign.id).order_by(Campaign.id)))
    if not campaigns:
        campaigns = [make_campaign(session, keyword).id for keyword in ("DROP", "BLOOM")]
    fans = list(session.scalars(select(Fan.id).order_by(Fan.id)))
    return campaigns, fans or make_fans(session, FANS)


def _check(session: Session, data: st.DataObject) -> None:
    campaigns, fans = _rows(session)
    clear(session)
    _write(session, data.draw(_stream(campaigns, fans)))
    incremental = rollups(session)
    funnel_rebuild.rebuild(session, campaigns[0])
    session.commit()
    assert rollups(session) == incremental
    funnel_rebuild.rebuild(session)
    session.commit()
    assert rollups(session) == incremental


@pytest.fixture
def pg_session(pg_url: str) -> Iterator[Session]:
    """A session on a migrated private PostgreSQL schema."""
    migrate.upgrade(pg_url)
    engine = create_engine(pg_url)
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.close()
    engine.dispose()


RANDOM = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@RANDOM
@given(data=st.data())
def test_incremental_equals_rebuild_on_sqlite(db: Session, data: st.DataObject) -> None:
    _check(db, data)


@pytest.mark.postgres
@RANDOM
@given(data=st.data())
def test_incremental_equals_rebuild_on_postgres(pg_session: Session, data: st.DataObject) -> None:
    _check(pg_session, data)
