"""GET /healthz: 200 with every dependency up, 503 naming the one that is down."""

from __future__ import annotations

import sqlite3
import time

from flask.testing import FlaskClient

from core.db import sqlite_file
from core.settings import Settings
from web import create_app


def test_healthz_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_redis_down(settings: Settings) -> None:
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body is not None
    assert body["status"] == "down"
    assert body["database"] == "ok"
    assert body["redis"].startswith("down: ")


def test_healthz_database_down(settings: Settings) -> None:
    broken = settings.with_overrides(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body is not None
    assert body["database"].startswith("down: OperationalError")
    assert body["redis"] == "ok"


def test_healthz_names_no_host_port_or_dsn(settings: Settings) -> None:
    broken = settings.with_overrides(
        database_url="postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=1",
        redis_url="redis://:hunter2@127.0.0.1:1/0",
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "down",
        "database": "down: OperationalError",
        "redis": "down: ConnectionError",
    }


def test_healthz_does_not_wait_for_the_sqlite_write_lock(
    client: FlaskClient, settings: Settings
) -> None:
    assert client.get("/healthz").status_code == 200  # the app has opened its database
    database = sqlite_file(settings.database_url)
    assert database
    holder = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 2
        assert response.status_code == 200
    finally:
        holder.close()
