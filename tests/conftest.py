"""Shared fixtures: settings on a temporary instance, a migrated SQLite, real Redis."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from cli import migrate
from core.db import dispose_all
from core.redis_conn import EmbeddedRedis, is_up
from core.settings import Settings, load_settings

TEST_REDIS_DB = 13


def base_env(instance: Path, **extra: str) -> dict[str, str]:
    """An environment with nothing set but the instance folder and what is given."""
    # The suite's fans connect freely; the quota-mode tests run at the default (development).
    env = {"PRESAVE_ENV": "test", "INSTANCE_PATH": str(instance), "SPOTIFY_QUOTA_MODE": "extended"}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real Redis at REDIS_URL / 127.0.0.1:6379, or an embedded one started for the run."""
    configured = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    candidate = configured or f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"
    if is_up(candidate):
        yield candidate
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    print(f"\nRedis at {candidate} is not up: started an embedded one for the tests")
    yield embedded.start()
    embedded.stop()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    """A client on an emptied test database."""
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """A fresh instance folder."""
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def settings(instance: Path, redis_url: str) -> Iterator[Settings]:
    """Settings on a migrated SQLite file and the test Redis."""
    env = base_env(instance, REDIS_URL=redis_url, PUBLIC_URL="https://presave.example.test")
    loaded = load_settings(env, dotenv_path=instance / "no.env")
    migrate.upgrade(loaded.database_url)
    yield loaded
    dispose_all()


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A session on the test database (the test commits what it needs).

    Its engine is the driver's plain one: SQLite reads run outside a transaction, so a
    test that inspects rows never holds the write lock the app under test needs.
    """
    engine = create_engine(settings.database_url)
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Flask:
    """The app built with the test settings."""
    from web import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


def _pg_reachable(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    """TEST_DATABASE_URL, or the PostgreSQL at 127.0.0.1:5432 (database `test`)."""
    url = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    host_ok = True
    if "127.0.0.1:5432" in url:
        with socket.socket() as probe:
            probe.settimeout(2)
            host_ok = probe.connect_ex(("127.0.0.1", 5432)) == 0
    reason = _pg_reachable(url) if host_ok else "nothing listens on 127.0.0.1:5432"
    if reason is not None:
        pytest.skip(f"PostgreSQL not reachable at {url} ({reason}); set TEST_DATABASE_URL")
    return url


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, private schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_base_url else "?"
    yield f"{pg_base_url}{sep}options=-csearch_path%3D{schema}"
    dispose_all()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
