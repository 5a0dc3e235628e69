"""The database cannot take an inbound text: the webhook keeps it in Redis and answers at
once; once the database is back the text is answered and the fan gets the reply once."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.sms_backlog import replay
from cli import migrate
from core import queues
from core.db import sqlite_file, transaction
from core.models import Consent, DeliveryStatus, InboundMessage, OutboundText
from core.services import inbound_backlog
from core.settings import Settings
from messages import render
from sandbox.config import SANDBOX_AUTH_TOKEN
from tests.factories import make_campaign
from tests.integration.drop_fixtures import DropWorld
from tests.integration.sms_helpers import inbound, post_signed
from web import create_app
from workers import jobs

PATH = "/webhooks/twilio/sms"
PHONE = "+14155550177"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
# Answered well inside Twilio's 15 s: the bounded waits, and a margin for a busy machine.
ANSWER_WITHIN = inbound_backlog.DB_WAIT_SECONDS * 2 + 3


def post_text(
    client: FlaskClient, settings: Settings, body: str, sid: str
) -> tuple[int, str, float]:
    started = time.monotonic()
    params = inbound(body, PHONE, sid=sid)
    response = post_signed(client, settings.public_url, PATH, params, token=SANDBOX_AUTH_TOKEN)
    return response.status_code, response.get_data(as_text=True), time.monotonic() - started


def rows(url: str, model: type) -> int:
    with transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def world(drop_world: DropWorld) -> DropWorld:
    with transaction(drop_world.settings.database_url) as session:
        make_campaign(session, "DROP")
    return drop_world


@pytest.fixture
def locked(world: DropWorld) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock (an open write transaction)."""
    database = sqlite_file(world.settings.database_url)
    assert database
    holder = sqlite3.connect(database, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.close()


def sent_to_fan(world: DropWorld) -> list[str]:
    return [m["body"] for m in world.sandbox("GET", "messages")["messages"] if m["to"] == PHONE]


def run_replay(world: DropWorld) -> None:
    queues.queue(queues.PERIODIC, world.redis).enqueue(jobs.replay_inbound)
    worker = world.start_worker(burst=True)
    assert worker.wait(timeout=60) == 0, world.tail()


def test_sqlite_locked_the_text_is_kept_answered_fast_and_replied_once(
    world: DropWorld, locked: sqlite3.Connection
) -> None:
    client = create_app(world.settings).test_client()
    status, body, took = post_text(client, world.settings, "DROP", "SM" + "7" * 32)
    assert (status, body) == (200, EMPTY_TWIML)
    assert took < ANSWER_WITHIN
    assert [k.sid for k in inbound_backlog.kept(world.redis)] == ["SM" + "7" * 32]
    health = time.monotonic()
    assert client.get("/healthz").status_code == 200  # a read: it does not wait for the lock
    assert time.monotonic() - health < 2
    locked.execute("ROLLBACK")
    run_replay(world)
    [reply] = sent_to_fan(world)
    assert "/p/" in reply and "DROP" not in reply.split("/p/")[1]
    assert inbound_backlog.count(world.redis) == 0
    url = world.settings.database_url
    assert (rows(url, InboundMessage), rows(url, Consent)) == (1, 1)
    # The same text kept again (a second webhook while the database was down): no second reply.
    inbound_backlog.keep(world.redis, "SM" + "7" * 32, inbound("DROP", PHONE, sid="SM" + "7" * 32))
    run_replay(world)
    assert inbound_backlog.count(world.redis) == 0
    assert len(sent_to_fan(world)) == 1


def test_redis_down_too_answers_503_at_once(world: DropWorld, locked: sqlite3.Connection) -> None:
    settings = world.settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    client = create_app(settings).test_client()
    status, body, took = post_text(client, settings, "DROP", "SM" + "8" * 32)
    assert (status, body) == (503, "temporarily unavailable\n")
    assert took < ANSWER_WITHIN
    assert inbound_backlog.count(world.redis) == 0


CLOSED_PG = "postgresql+psycopg://presave@127.0.0.1:1/presave"


@pytest.mark.postgres
def test_postgres_down_the_text_is_kept_and_answered_once_when_it_is_back(
    world: DropWorld, pg_url: str, redis_conn: redis.Redis
) -> None:
    down = world.settings.with_overrides(database_url=CLOSED_PG)
    status, body, took = post_text(create_app(down).test_client(), down, "DROP", "SM" + "9" * 32)
    assert (status, body) == (200, EMPTY_TWIML)
    assert took < 2, "a refused connection is answered at once"
    assert inbound_backlog.count(redis_conn) == 1
    assert replay(redis_conn, down).left == 1  # still down: kept
    migrate.upgrade(pg_url)
    with transaction(pg_url) as session:
        make_campaign(session, "DROP")
    back = world.settings.with_overrides(database_url=pg_url)
    done = replay(redis_conn, back)
    assert (done.answered, len(done.text_ids), done.left) == (1, 1, 0)
    with transaction(pg_url) as session:
        text = session.scalars(select(OutboundText)).one()
        assert text.to_number == PHONE and "/p/" in text.body
    inbound_backlog.keep(redis_conn, "SM" + "9" * 32, inbound("DROP", PHONE, sid="SM" + "9" * 32))
    assert replay(redis_conn, back).text_ids == []  # answered already: no second reply
    assert rows(pg_url, OutboundText) == 1


def test_kept_texts_are_answered_in_order_and_a_stop_is_confirmed(
    world: DropWorld, locked: sqlite3.Connection
) -> None:
    """DROP then STOP while the database is locked: the STOP cancels the link text queued
    for the DROP, and its own confirmation goes out (to a number now opted out), once."""
    client = create_app(world.settings).test_client()
    for body, sid in (("DROP", "SM" + "a1" * 16), ("STOP", "SM" + "b2" * 16)):
        assert post_text(client, world.settings, body, sid)[:2] == (200, EMPTY_TWIML)
    locked.execute("ROLLBACK")
    run_replay(world)
    assert sent_to_fan(world) == [render("sms_stop", program=world.settings.program_name)]
    with transaction(world.settings.database_url) as session:
        statuses = session.execute(
            select(OutboundText.answers_sid, OutboundText.status).order_by(OutboundText.id)
        ).all()
    assert [tuple(row) for row in statuses] == [
        ("SM" + "a1" * 16, DeliveryStatus.CANCELLED),
        ("SM" + "b2" * 16, DeliveryStatus.SENT),
    ]
