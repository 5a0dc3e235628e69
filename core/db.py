"""Engine and session factory, one per process and database URL."""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core import sqlite_checkpoint

_engines: dict[tuple[int, str], Engine] = {}
# What services that run only Core statements accept: an ORM session or a bare connection.
Db: TypeAlias = Session | Connection
READ_ONLY = "presave_read_only"
# Execution option: wait at most this many milliseconds for SQLite's write lock.
BUSY_MS = "presave_busy_ms"
SQLITE_BUSY_MS = 10_000
# PostgreSQL: give up connecting after this many seconds (libpq waits for ever by default).
PG_CONNECT_TIMEOUT = 5


class DatabaseUnavailable(RuntimeError):
    """The database could not be written in time: locked, down, or unreachable."""


# What a write to a locked, stopped or unreachable database raises (SQLite's BEGIN runs in
# an event listener, so its error arrives as the driver's, not wrapped by SQLAlchemy).
UNAVAILABLE_ERRORS = (OperationalError, sqlite3.OperationalError)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    # Checkpoints run in a thread of their own (core/sqlite_checkpoint.py), not in a commit.
    cursor.execute(f"PRAGMA wal_autocheckpoint={sqlite_checkpoint.AUTOCHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    A WAL reader that later writes after another process committed fails at once with
    SQLITE_BUSY_SNAPSHOT; taking the lock up front makes concurrent requests wait instead.
    Read-only sessions (`read_only`) begin a plain deferred transaction and never wait.
    """
    # Straight on the driver: this listener runs at the start of every transaction.
    driver = connection.connection.driver_connection
    options = connection.get_execution_options()
    if options.get(READ_ONLY):
        driver.execute("BEGIN")
        return
    # A bounded wait (the inbound webhook's) is set for this transaction and undone at the
    # next ordinary one on the same pooled connection.
    busy_ms, info = options.get(BUSY_MS), connection.connection.info
    if busy_ms is not None:
        if info.get(BUSY_MS) != busy_ms:
            driver.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            info[BUSY_MS] = busy_ms
    elif info.pop(BUSY_MS, None) is not None:
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
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
            connect_args = (
                {} if "connect_timeout" in url else {"connect_timeout": PG_CONNECT_TIMEOUT}
            )
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
            )
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
    """The database file of a SQLite URL; None in memory (cached: asked on every transaction)."""
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


@contextmanager
def _sqlite_turn_within(url: str, wait: float) -> Iterator[None]:
    """`_sqlite_turn` giving up after `wait` seconds (raises DatabaseUnavailable).

    No kernel wait with a time limit exists for flock: a non-blocking try, then retries
    every few milliseconds. Used only where an answer is due in time (the SMS webhook).
    """
    database = sqlite_file(url)
    if not database or getattr(_held, "depth", 0) > 0:
        with _sqlite_turn(url):
            yield
        return
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline, pause = time.monotonic() + wait, 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(f"no write turn within {wait:g}s") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
        _held.depth = 1
        yield
    finally:
        _held.depth = 0
        os.close(fd)


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
    `Db`: no ORM session to build and commit on every request."""
    with write_turn(url), get_engine(url).begin() as connection:
        yield connection


_bounded: dict[tuple[int, str, int], Engine] = {}


def _bounded_engine(url: str, busy_ms: int) -> Engine:
    """The process engine for `url`, its SQLite busy wait set to `busy_ms` (built once)."""
    if not url.startswith("sqlite"):
        return get_engine(url)
    key = (os.getpid(), url, busy_ms)
    engine = _bounded.get(key)
    if engine is None:
        engine = _bounded[key] = get_engine(url).execution_options(**{BUSY_MS: busy_ms})
    return engine


@contextmanager
def connection_transaction_within(url: str, wait: float) -> Iterator[Connection]:
    """`connection_transaction` that gives up when the database cannot be written: SQLite's
    writer slot and its lock are each waited for at most `wait` seconds, PostgreSQL's
    connection is refused or times out. Raises DatabaseUnavailable; nothing is written."""
    turn = _sqlite_turn_within(url, wait) if url.startswith("sqlite") else nullcontext()
    try:
        with turn, _bounded_engine(url, int(wait * 1000)).begin() as connection:
            yield connection
    except UNAVAILABLE_ERRORS as exc:
        raise DatabaseUnavailable(type(getattr(exc, "orig", None) or exc).__name__) from exc


def dispose_all() -> None:
    """Close every engine of this process (tests, shutdown)."""
    for key in [k for k in _factories if k[0] == os.getpid()]:
        _factories.pop(key)
    for key in [k for k in _readers if k[0] == os.getpid()]:
        _readers.pop(key)
    for bounded in [k for k in _bounded if k[0] == os.getpid()]:
        _bounded.pop(bounded)
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
