"""Insert unless the row exists (core.upsert), on SQLite and PostgreSQL alike: a duplicate
gives None, concurrent duplicates neither fail nor both win, datetimes come back in UTC."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Table, func, select, text

from cli import migrate
from core.db import connection_transaction, get_engine, transaction
from core.models import DiscordInteraction, Event
from core.settings import Settings
from core.upsert import insert_ignore, insert_ignore_many

TABLE: Table = DiscordInteraction.__table__  # type: ignore[assignment]
AT = datetime(2026, 12, 4, 12, 30, 5, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    if request.param == "sqlite":
        yield settings.database_url
        return
    pg_url: str = request.getfixturevalue("pg_url")
    migrate.upgrade(pg_url)
    yield pg_url


def interaction(interaction_id: str, at: datetime = AT) -> dict[str, object]:
    return {"id": interaction_id, "received_at": at}


def count(url: str) -> int:
    with transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(TABLE)) or 0)


def test_a_new_row_gives_its_column_and_a_duplicate_gives_none(url: str) -> None:
    with connection_transaction(url) as connection:  # a bare connection
        assert insert_ignore(connection, TABLE, interaction("1"), DiscordInteraction.id) == "1"
    with transaction(url) as session:  # an ORM session
        assert insert_ignore(session, TABLE, interaction("1"), DiscordInteraction.id) is None
        assert insert_ignore(session, TABLE, interaction("2"), DiscordInteraction.id) == "2"
    assert count(url) == 2


def test_utc_datetimes_round_trip(url: str) -> None:
    paris = timezone(timedelta(hours=1))
    with transaction(url) as session:
        insert_ignore(session, TABLE, interaction("1"), DiscordInteraction.id)
        insert_ignore(session, TABLE, interaction("2", AT.astimezone(paris)), DiscordInteraction.id)
    with transaction(url) as session:
        for interaction_id in ("1", "2"):
            row = session.get(DiscordInteraction, interaction_id)
            assert row is not None and row.received_at == AT
            assert row.received_at.utcoffset() == timedelta(0)


def test_a_python_column_default_is_filled_in(url: str) -> None:
    before = datetime.now(UTC)
    with transaction(url) as session:
        insert_ignore(session, TABLE, {"id": "1"}, DiscordInteraction.id)  # no received_at
    with transaction(url) as session:
        row = session.get(DiscordInteraction, "1")
        assert row is not None and row.received_at >= before.replace(microsecond=0)


def test_many_rows_give_the_column_of_the_new_ones_only(url: str) -> None:
    with transaction(url) as session:
        insert_ignore(session, TABLE, interaction("2"), DiscordInteraction.id)
        rows = [interaction(str(n)) for n in (1, 2, 3)]
        assert sorted(insert_ignore_many(session, TABLE, rows, DiscordInteraction.id)) == ["1", "3"]
        assert insert_ignore_many(session, TABLE, [], DiscordInteraction.id) == []
    assert count(url) == 3


def test_a_failed_transaction_keeps_nothing(url: str) -> None:
    refused = pytest.raises(Exception, match=r"(?i)not null|null value")
    with refused, transaction(url) as session:
        insert_ignore(session, TABLE, interaction("1"), DiscordInteraction.id)
        insert_ignore(session, Event.__table__, {"kind": None}, Event.id)  # type: ignore[arg-type]
    assert count(url) == 0


def test_concurrent_duplicates_do_not_fail_and_one_wins(url: str) -> None:
    threads, start = 8, threading.Barrier(8)
    won: list[object] = []
    failed: list[BaseException] = []

    def insert() -> None:
        start.wait()
        try:
            with transaction(url) as session:
                won.append(insert_ignore(session, TABLE, interaction("1"), DiscordInteraction.id))
        except BaseException as exc:
            failed.append(exc)

    runners = [threading.Thread(target=insert) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=30)
    assert failed == []
    assert sorted(won, key=str) == ["1"] + [None] * (threads - 1)
    assert count(url) == 1


@pytest.mark.postgres
def test_postgres_a_duplicate_waits_for_the_first_insert_then_gives_none(pg_url: str) -> None:
    """The second insert of a key still uncommitted waits in the database (no error, no
    savepoint), and gives None once the first commits."""
    migrate.upgrade(pg_url)
    outcome: list[object] = []
    pid: list[int] = []
    with connection_transaction(pg_url) as first:
        assert insert_ignore(first, TABLE, interaction("1"), DiscordInteraction.id) == "1"

        def second() -> None:
            with connection_transaction(pg_url) as connection:
                pid.append(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
                outcome.append(
                    insert_ignore(connection, TABLE, interaction("1"), DiscordInteraction.id)
                )

        waiter = threading.Thread(target=second)
        waiter.start()
        assert wait_for_lock_wait(pg_url, pid), "the second insert never waited for the first"
        assert outcome == []
    waiter.join(timeout=30)
    assert outcome == [None]
    assert count(pg_url) == 1


def wait_for_lock_wait(url: str, pid: list[int], within: float = 20.0) -> bool:
    """Whether the backend whose id lands in `pid` comes to wait on a lock in time."""
    deadline = time.monotonic() + within
    with get_engine(url).connect() as observer:
        while time.monotonic() < deadline:
            if pid:
                state = observer.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": pid[0]},
                ).scalar()
                if state == "Lock":
                    return True
            observer.rollback()  # a fresh snapshot of pg_stat_activity
            time.sleep(0.01)
    return False
