"""INSERT ... ON CONFLICT DO NOTHING RETURNING, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Column, Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import Db
from core.fastsql import Fast

DIALECTS: dict[str, Any] = {"postgresql": postgresql, "sqlite": sqlite}


@functools.cache
def _statement(table: Table, dialect: str, returning: Column[Any]) -> Insert:
    """Built once per table: hot paths must not pay for building statements every call."""
    module = DIALECTS.get(dialect)
    if module is None:
        raise NotImplementedError(f"insert_ignore: unsupported database {dialect}")
    statement: Insert = module.insert(table).on_conflict_do_nothing().returning(returning)
    return statement


@functools.cache
def _fast(table: Table, dialect: str, returning: Column[Any]) -> Fast:
    return Fast(_statement(table, dialect, returning))


def insert_ignore(session: Db, table: Table, values: dict[str, Any], returning: Any) -> Any | None:
    """Insert one row unless a unique constraint already holds it; the returned column or None.

    One statement, no savepoint: concurrent inserts of the same key wait for each other in
    the database instead of failing (PostgreSQL), or are serialized by SQLite's write lock.
    """
    column = table.c[returning.key]
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    return _fast(table, dialect.name, column).scalar(session, values)


def insert_ignore_many(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: Any
) -> list[Any]:
    """`insert_ignore` for many rows in one executemany; the returned column of new rows."""
    if not rows:
        return []
    column = table.c[returning.key]
    statement = _statement(table, session.get_bind().dialect.name, column)
    return list(session.execute(statement, rows).scalars())
