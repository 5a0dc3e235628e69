"""The message reactions kept as events are recorded equal their rebuild from deliveries and
the event log, and both equal the definition (computed here in Python), on random streams
with times on the window's edges to the microsecond, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session

from cli import migrate
from core.models import Campaign, Delivery, Event, Fan, MessageReaction, ScheduledMessage
from core.services import events, funnel_rebuild, message_reactions
from tests.factories import make_campaign
from tests.integration.rollup_helpers import clock, make_fans

BASE = datetime(2026, 12, 4, 22, 50, 0, 250_000, tzinfo=UTC)
DAY = timedelta(hours=24)
US = timedelta(microseconds=1)
KINDS = ("stop", "carrier_opt_out", "link_click", "release_click", "optin", "saved")
EDGES = (timedelta(0), -US, DAY - US, DAY, timedelta(hours=3))


def _setup(session: Session) -> tuple[list[int], list[int], list[int]]:
    """Two campaigns (three messages: two of the first), four fans; made once per database."""
    campaigns = list(session.scalars(select(Campaign.id).order_by(Campaign.id)))
    if not campaigns:
        campaigns = [make_campaign(session, keyword).id for keyword in ("DROP", "BLOOM")]
        for campaign in (campaigns[0], campaigns[0], campaigns[1]):
            session.add(ScheduledMessage(campaign_id=campaign, kind="countdown",
                                         template="countdown-1d", send_at=BASE))  # fmt: skip
        session.commit()
    messages = list(session.scalars(select(ScheduledMessage.id).order_by(ScheduledMessage.id)))
    fans = list(session.scalars(select(Fan.id).order_by(Fan.id))) or make_fans(session, 4)
    return campaigns, messages, fans


def _deliveries(messages: list[int], fans: list[int]) -> Any:
    """Distinct (message, fan, channel) with a sent time (seconds and microseconds) or none."""
    key = st.tuples(st.sampled_from(messages), st.sampled_from(fans),
                    st.sampled_from(["sms", "discord"]))  # fmt: skip
    sent = st.one_of(
        st.none(),
        st.tuples(st.integers(-30 * 3600, 3600), st.integers(0, 999_999)).map(
            lambda t: BASE + timedelta(seconds=t[0], microseconds=t[1])
        ),
    )
    return st.dictionaries(key, sent, max_size=10)


def _events(campaigns: list[int], fans: list[int], sent: list[datetime]) -> Any:
    """(kind, time, fields): times near a delivery's sent time and its window's end."""
    near = st.tuples(st.sampled_from(sent), st.sampled_from(EDGES)).map(lambda t: t[0] + t[1])
    at = st.one_of(near, st.integers(-30, 2).map(lambda h: BASE + timedelta(hours=h)))
    fields = st.fixed_dictionaries({
        "campaign_id": st.sampled_from([*campaigns, None]),
        "fan_id": st.sampled_from([*fans, None]),
        "channel": st.sampled_from([None, "", "sms", "discord"]),
    })  # fmt: skip
    return st.lists(st.tuples(st.sampled_from(KINDS), at, fields), max_size=15)


def _reactions(session: Session) -> set[tuple[int, str, int]]:
    return {tuple(r) for r in session.execute(select(MessageReaction.__table__))}


def _defined(session: Session) -> set[tuple[int, str, int]]:
    """The reactions by their definition, from every delivery and event."""
    query = select(ScheduledMessage.id, ScheduledMessage.campaign_id)
    campaign_of = {int(m): int(c) for m, c in session.execute(query)}
    found = set()
    deliveries = session.execute(select(Delivery.message_id, Delivery.fan_id, Delivery.channel,
                                        Delivery.sent_at)).all()  # fmt: skip
    rows = session.execute(select(Event.kind, Event.fan_id, Event.channel, Event.campaign_id,
                                  Event.at)).all()  # fmt: skip
    for message, fan, channel, sent_at in deliveries:
        for kind, e_fan, e_channel, e_campaign, at in rows:
            reaction = message_reactions.KINDS.get(kind)
            if sent_at is None or reaction is None or e_fan != fan:
                continue
            if not sent_at <= at < sent_at + DAY:
                continue
            if (reaction == "opt_out" and e_channel == channel) or (
                reaction == "click" and e_campaign == campaign_of[message]
            ):
                found.add((message, reaction, fan))
    return found


def _check(session: Session, data: st.DataObject) -> None:
    campaigns, messages, fans = _setup(session)
    for table in (MessageReaction, Event, Delivery):
        session.execute(delete(table.__table__))  # type: ignore[arg-type]
    drawn = data.draw(_deliveries(messages, fans))
    session.add_all(Delivery(message_id=m, fan_id=f, channel=c, status="sent", sent_at=at)
                    for (m, f, c), at in drawn.items())  # fmt: skip
    session.commit()
    sent = [at for at in drawn.values() if at is not None] or [BASE]
    for kind, at, fields in data.draw(_events(campaigns, fans, sent)):
        with clock(at):
            events.record(session, kind, **fields)
    session.commit()
    incremental = _reactions(session)
    assert incremental == _defined(session)
    funnel_rebuild.rebuild(session, campaigns[0])
    session.commit()
    assert _reactions(session) == incremental
    funnel_rebuild.rebuild(session)
    session.commit()
    assert _reactions(session) == incremental


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
def test_incremental_equals_rebuild_and_definition_on_sqlite(
    db: Session, data: st.DataObject
) -> None:
    _check(db, data)


@pytest.mark.postgres
@RANDOM
@given(data=st.data())
def test_incremental_equals_rebuild_and_definition_on_postgres(
    pg_session: Session, data: st.DataObject
) -> None:
    _check(pg_session, data)


def test_the_window_ends_before_24_hours_to_the_microsecond(db: Session) -> None:
    """A click 1 µs before the 24 hours end counts, one at the end does not: kept and rebuilt."""
    campaigns, messages, fans = _setup(db)
    for table in (MessageReaction, Event, Delivery):
        db.execute(delete(table.__table__))  # type: ignore[arg-type]
    for fan in fans[:2]:
        db.add(Delivery(message_id=messages[0], fan_id=fan, channel="sms", status="sent",
                        sent_at=BASE))  # fmt: skip
    db.commit()
    for fan, at in ((fans[0], BASE + DAY - US), (fans[1], BASE + DAY)):
        with clock(at):
            events.record(db, "link_click", campaign_id=campaigns[0], fan_id=fan)
    db.commit()
    assert _reactions(db) == {(messages[0], "click", fans[0])}
    funnel_rebuild.rebuild(db)
    db.commit()
    assert _reactions(db) == {(messages[0], "click", fans[0])}
