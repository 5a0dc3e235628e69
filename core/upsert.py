"""INSERT ... ON CONFLICT DO NOTHING RETURNING, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import Db


def _insert_or_nothing(db: Db, table: Table, returning: Any) -> Insert:
    """The dialect's own INSERT (only theirs know ON CONFLICT), returning one column."""
    name = (db.dialect if isinstance(db, Connection) else db.get_bind().dialect).name
    return _statement(name, table, returning.key)


@functools.cache
def _statement(name: str, table: Table, returning: str) -> Insert:
    """Built once per table: SQLAlchemy keeps the compiled SQL of a statement it has seen,
    but building one and computing its cache key on every call would be a sizeable part of
    a small insert's cost."""
    if name == "postgresql":
        statement: Insert = postgresql.insert(table).on_conflict_do_nothing()
    elif name == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"insert_ignore: unsupported database {name}")
    return statement.returning(table.c[returning])


def insert_ignore(db: Db, table: Table, values: dict[str, Any], returning: Any) -> Any | None:
    """Insert one row unless a unique constraint already holds it; the returned column or None.

    One statement, no savepoint: concurrent inserts of the same key wait for each other in
    the database instead of failing (PostgreSQL), or are serialized by SQLite's write lock.
    """
    return db.execute(_insert_or_nothing(db, table, returning), values).scalar()


def insert_ignore_many(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: Any
) -> list[Any]:
    """`insert_ignore` for many rows in one executemany; the returned column of new rows."""
    if not rows:
        return []
    return list(session.execute(_insert_or_nothing(session, table, returning), rows).scalars())


def dialect_insert(name: str, table: Table) -> Any:
    """The dialect's own INSERT for `table` (only theirs have ON CONFLICT DO UPDATE and
    `.excluded`); `name` is the dialect's name."""
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"dialect_insert: unsupported database {name}")
