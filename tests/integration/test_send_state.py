"""Exactly-once, proved once: the send lifecycle (core.services.send_state) over every kind
of send in the registry (workers.send_kinds), on SQLite and PostgreSQL.

Every kind's rows are made side by side in one database, so each test also shows that a
kind's lifecycle touches its own rows only (SMS and Discord deliveries share a table).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from cli import migrate
from core.db import dispose_all
from core.models import (
    Artist,
    Campaign,
    Delivery,
    DeliveryStatus,
    DiscordAnnouncement,
    DiscordBinding,
    DiscordRoleGrant,
    Fan,
    OutboundText,
    RoleGrantStatus,
    ScheduledMessage,
)
from core.services import send_state
from core.services.send_state import SendTable
from core.timeutil import utcnow
from workers.send_kinds import KINDS

ROWS = 40
SENDS = sorted(name for name, kind in KINDS.items() if kind.rows is not None)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path_factory.mktemp('sends') / 'sends.db'}"
    else:
        found = request.getfixturevalue("pg_url")
    migrate.upgrade(found)
    yield found
    dispose_all()


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as opened:
        yield opened
    engine.dispose()


def _seed(session: Session) -> dict[str, list[int]]:
    """ROWS due rows of every kind; their ids by kind."""
    now = utcnow()
    artist = Artist(name="Artist")
    session.add(artist)
    session.flush()
    campaign = Campaign(artist_id=artist.id, slug="c", title="T", keyword="K", release_at=now)
    session.add(campaign)
    session.flush()
    message = ScheduledMessage(campaign_id=campaign.id, kind="drop", template="drop", send_at=now)
    fans = [Fan(phone_e164=f"+1555000{i:04d}", discord_user_id=str(9000 + i)) for i in range(ROWS)]
    session.add_all([message, *fans])
    session.flush()
    bindings = [
        DiscordBinding(campaign_id=campaign.id, guild_id=str(100 + i), channel_id="1",
                       role_id="2", bound_by="3")
        for i in range(ROWS)
    ]  # fmt: skip
    session.add_all(bindings)
    session.flush()
    rows: dict[str, list[object]] = {
        "sms": [Delivery(message_id=message.id, fan_id=f.id, channel="sms") for f in fans],
        "discord": [Delivery(message_id=message.id, fan_id=f.id, channel="discord") for f in fans],
        "text": [OutboundText(fan_id=f.id, to_number=f.phone_e164, body="hi") for f in fans],
        "post": [DiscordAnnouncement(message_id=message.id, binding_id=b.id) for b in bindings],
        "roles": [
            DiscordRoleGrant(binding_id=b.id, fan_id=f.id, status=RoleGrantStatus.QUEUED)
            for b, f in zip(bindings, fans, strict=True)
        ],
    }
    assert set(rows) == set(SENDS), "a kind in the registry without rows in this test"
    for made in rows.values():
        session.add_all(made)
    session.commit()
    return {kind: [int(r.id) for r in made] for kind, made in rows.items()}  # type: ignore[attr-defined]


def _rows(kind: str) -> SendTable:
    rows = KINDS[kind].rows
    assert rows is not None
    return rows


def _same_table(ids: dict[str, list[int]], kind: str) -> list[int]:
    """The ids of every kind stored in `kind`'s table (its own and its siblings')."""
    table = _rows(kind).table
    return sorted(i for k, found in ids.items() if _rows(k).table is table for i in found)


def _status(session: Session, t: SendTable, row_id: int) -> str:
    session.expire_all()
    status = session.scalar(select(t.model.status).where(t.model.id == row_id))
    assert isinstance(status, str)
    return status


@pytest.mark.parametrize("kind", SENDS)
def test_two_claimers_at_once_get_disjoint_sets(url: str, session: Session, kind: str) -> None:
    ids = _seed(session)
    t, candidates = _rows(kind), _same_table(ids, kind)
    start = threading.Barrier(2)
    won: list[list[int]] = []

    def claimer() -> None:
        engine = create_engine(url)
        with Session(engine) as own:
            start.wait()
            won.append(send_state.claim(own, t, candidates))
            own.commit()
        engine.dispose()

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = won
    assert not set(first) & set(second)
    assert sorted(first + second) == ids[kind], "every due row of this kind, and only them"


@pytest.mark.parametrize("kind", SENDS)
def test_a_claimed_row_is_not_claimable_again(session: Session, kind: str) -> None:
    ids = _seed(session)
    t = _rows(kind)
    assert send_state.claim(session, t, ids[kind][:3]) == ids[kind][:3]
    session.commit()
    assert send_state.claim(session, t, ids[kind]) == ids[kind][3:]
    assert send_state.claim(session, t, ids[kind]) == []
    assert send_state.due(session, t) == []


@pytest.mark.parametrize("callback", [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
@pytest.mark.parametrize("kind", SENDS)
def test_mark_sent_never_undoes_a_status_callback(
    session: Session, kind: str, callback: str
) -> None:
    ids = _seed(session)
    t = _rows(kind)
    first, second = ids[kind][:2]
    send_state.claim(session, t, [first, second])
    session.execute(update(t.model).where(t.model.id == first).values(status=callback))
    send_state.mark_sent(session, t, [(first, "P1"), (second, "P2")])
    session.commit()
    assert _status(session, t, first) == callback
    assert _status(session, t, second) == t.sent
    if "provider_id" in t.table.c:
        found = session.scalar(select(t.model.provider_id).where(t.model.id == first))
        assert found == "P1"


@pytest.mark.parametrize("kind", SENDS)
def test_retry_later_waits_then_gives_up_after_the_last_attempt(
    session: Session, kind: str
) -> None:
    ids = _seed(session)
    t, row = _rows(kind), ids[kind][0]
    assert send_state.claim(session, t, [row]) == [row]
    assert send_state.retry_later(session, t, row, 60, "busy", max_attempts=2)
    assert _status(session, t, row) == t.pending[0]
    assert row not in send_state.due(session, t)
    assert send_state.claim(session, t, [row]) == []
    assert row in send_state.not_yet_due(session, t, [row])
    session.execute(update(t.model).where(t.model.id == row).values(not_before=None))
    assert send_state.claim(session, t, [row]) == [row]
    assert not send_state.retry_later(session, t, row, 60, "busy", max_attempts=2)
    assert _status(session, t, row) == DeliveryStatus.FAILED
    assert row not in send_state.due(session, t)


@pytest.mark.parametrize("kind", SENDS)
def test_uncounted_retries_and_released_claims_are_not_attempts(
    session: Session, kind: str
) -> None:
    ids = _seed(session)
    t, (row, other) = _rows(kind), ids[kind][:2]
    send_state.claim(session, t, [row, other])
    send_state.retry_later(session, t, row, 0, "429", uncount=True)
    send_state.release(session, t, other)
    attempts = select(t.model.attempts).where(t.model.id.in_([row, other]))
    assert list(session.scalars(attempts)) == [0, 0]
    assert send_state.claim(session, t, [row, other]) == sorted([row, other])


@pytest.mark.parametrize("kind", SENDS)
def test_a_row_left_sending_is_found_stuck_or_its_lease_runs_out(
    session: Session, kind: str
) -> None:
    ids = _seed(session)
    t, (row, fresh) = _rows(kind), ids[kind][:2]
    send_state.claim(session, t, [row, fresh])
    an_hour_ago = utcnow() - timedelta(hours=1)
    session.execute(
        update(t.model)
        .where(t.model.id == row)
        .values(updated_at=an_hour_ago, not_before=an_hour_ago)
    )
    session.commit()
    if t.sending is not None:
        assert [i for i, _ in send_state.stuck(session, t, timedelta(minutes=5))] == [row]
        assert send_state.claim(session, t, [row]) == [], "stuck is settled, not re-sent"
        send_state.retry_later(session, t, row, 0, send_state.LOST)
    else:
        assert send_state.stuck(session, t, timedelta(minutes=5)) == []
    assert send_state.claim(session, t, [row, fresh]) == [row]


@pytest.mark.parametrize("kind", SENDS)
def test_due_is_every_waiting_row_whose_time_has_come(session: Session, kind: str) -> None:
    ids = _seed(session)
    t, (later, gone, held, *rest) = _rows(kind), ids[kind]
    soon = utcnow() + timedelta(minutes=5)
    session.execute(update(t.model).where(t.model.id == later).values(not_before=soon))
    send_state.give_up(session, t, gone, DeliveryStatus.CANCELLED, "withdrawn")
    held_status = t.pending[-1]
    session.execute(update(t.model).where(t.model.id == held).values(status=held_status))
    assert send_state.due(session, t) == [held, *rest]
    assert send_state.due(session, t, limit=2) == [held, rest[0]]
