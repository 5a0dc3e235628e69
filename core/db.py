"""Engine and session factory, one per process and database URL."""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from core import sqlite_checkpoint

_engines: dict[tuple[int, str], Engine] = {}
# What services that run only Core statements accept: an ORM session or a bare connection.
Db: TypeAlias = Session | Connection
READ_ONLY = "presave_read_only"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Checkpoints run in a thread of their own (core/sqlite_checkpoint.py), not in a commit.
    cursor.execute(f"PRAGMA wal_autocheckpoint={sqlite_checkpoint.AUTOCHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    A WAL reader that later writes after another process committed fails at once with
    SQLITE_BUSY_SNAPSHOT; taking the lock up front makes concurrent requests wait instead.
    Read-only sessions (`read_only`) begin a plain deferred transaction and never wait.
    """
    # Straight on the driver: through exec_driver_sql this cost about 45 µs more.
    driver = connection.connection.driver_connection
    if connection.get_execution_options().get(READ_ONLY):
        driver.execute("BEGIN")
    else:
        driver.execute("BEGIN IMMEDIATE")


def private_sqlite_file(url: str) -> None:
    """Create a SQLite URL's database file readable by its owner only (0600), like the
    secret files; SQLite gives the -wal and -shm files the mode of the database."""
    database = sqlite_file(url)
    if database and not os.path.exists(database):
        os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def get_engine(url: str) -> Engine:
    """The engine for `url` in this process (a forked child gets its own)."""
    key = (os.getpid(), url)
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            private_sqlite_file(url)
            engine = create_engine(url, connect_args={"timeout": 10})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin_immediate)
            database = sqlite_file(url)
            if database:
                sqlite_checkpoint.watch(os.path.abspath(database))
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _engines[key] = engine
    return engine


_factories: dict[tuple[int, str], sessionmaker[Session]] = {}
_readers: dict[tuple[int, str], Engine] = {}


def session_factory(url: str) -> sessionmaker[Session]:
    """The sessionmaker bound to the process engine for `url` (built once: building one
    costs a quarter of a millisecond, which the webhook would pay on every request)."""
    key = (os.getpid(), url)
    factory = _factories.get(key)
    if factory is None:
        factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
        _factories[key] = factory
    return factory


_held = threading.local()


@functools.lru_cache(maxsize=64)
def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None in memory (parsing the URL costs 20 µs)."""
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


@contextmanager
def _sqlite_turn(url: str) -> Iterator[None]:
    """Wait in the kernel (flock) for this SQLite file's single writer slot.

    SQLite's own busy handler sleeps and polls (up to 100 ms a try), which collapses
    throughput when several web threads and workers write at once; a blocking file lock
    hands the slot over the moment it is free. Re-entrant within a thread.
    """
    database = sqlite_file(url)
    depth: int = getattr(_held, "depth", 0)
    if not database or depth > 0:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.depth = 1
        yield
    finally:
        _held.depth = 0
        os.close(fd)  # closing releases the lock


def write_turn(url: str) -> AbstractContextManager[None]:
    """SQLite's writer slot for a transaction on `url`; nothing to wait for elsewhere."""
    return _sqlite_turn(url) if url.startswith("sqlite") else nullcontext()


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """One unit of work at the edge: commit on success, roll back on error."""
    with write_turn(url):
        session = session_factory(url)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@contextmanager
def connection_transaction(url: str) -> Iterator[Connection]:
    """`transaction` on a bare Core connection, for the hot paths whose services take a
    `Db`: no ORM session to build and commit, about 150 µs less a request."""
    with write_turn(url), get_engine(url).begin() as connection:
        yield connection


def dispose_all() -> None:
    """Close every engine of this process (tests, shutdown)."""
    for key in [k for k in _factories if k[0] == os.getpid()]:
        _factories.pop(key)
    for key in [k for k in _readers if k[0] == os.getpid()]:
        _readers.pop(key)
    for key in [k for k in _engines if k[0] == os.getpid()]:
        _engines.pop(key).dispose()


def _reader(url: str) -> Engine:
    key = (os.getpid(), url)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = get_engine(url).execution_options(**{READ_ONLY: True})
    return reader


@contextmanager
def read_only(url: str) -> Iterator[Session]:
    """A session for reads only: no write lock, no waiting on writers; always rolled back."""
    session = Session(bind=_reader(url))
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def read_connection(url: str) -> Iterator[Connection]:
    """A bare connection for one or two quick reads (no ORM session to build: a third of
    the cost of `read_only` for a single-row lookup); always rolled back."""
    with _reader(url).connect() as connection:
        yield connection
