"""Prebuilt statements run straight on the driver's cursor, for the request hot paths.

SQLAlchemy's execution layer costs about 90 µs a statement here (ORM session or Core
connection alike), where SQLite needs 10-30 µs to run a small insert, and a keyword webhook
runs eight. A `Fast` statement is still built from the models and compiled by SQLAlchemy,
once per dialect and set of value keys; each call then only converts the values with the
column types' bind processors (UTC datetimes, enums), fills Python-side column defaults, and
runs the SQL on the cursor of the session's own connection, inside the session's transaction.

Results come back as the driver gives them: select ids, codes and plain strings with it,
not columns whose type converts what it reads (timestamps, JSON). No IN lists either
(`expanding` parameters), and no executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """One compiled form of a statement: its SQL and how to turn values into parameters."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional drivers
    names: frozenset[str]  # every parameter the SQL needs
    fixed: dict[str, Any]  # values bound in the statement itself (literals in a WHERE)
    defaults: tuple[tuple[str, Any], ...]  # (name, column default) computed per call
    processors: dict[str, Processor]


def _plan(statement: ClauseElement, dialect: Dialect, keys: frozenset[str]) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    assert isinstance(compiled, SQLCompiler)
    binds = compiled.binds
    if any(bind.expanding for bind in binds.values()):
        raise ValueError("fastsql: IN lists (expanding parameters) are not supported")
    needed = [(column, column.default) for column in compiled.insert_prefetch]
    needed += [(column, column.onupdate) for column in compiled.update_prefetch]
    defaults = []
    for column, default in needed:
        if default is None or not (default.is_scalar or default.is_callable):
            raise ValueError(f"fastsql: column {column.key} needs a default it cannot compute")
        defaults.append((column.key, default))
    processors: dict[str, Processor] = {}
    for name, bind in binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    fixed = {
        name: bind.value
        for name, bind in binds.items()
        if name not in keys and not bind.required and bind.value is not None
    }
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    names = frozenset(binds) | {name for name, _ in defaults}
    return _Plan(compiled.string, order, names, fixed, tuple(defaults), processors)


class Fast:
    """A Core statement run on the session's driver connection (see the module docstring)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}

    def _plan_for(self, dialect: Dialect, keys: frozenset[str]) -> _Plan:
        key = (dialect.name, keys)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _plan(self.statement, dialect, keys)
        return plan

    def _run(self, db: Session | Connection, values: Mapping[str, Any]) -> Any:
        connection = _connection(db)
        plan = self._plan_for(connection.dialect, frozenset(values))
        params = {**plan.fixed, **values}
        for name, default in plan.defaults:
            params[name] = default.arg(None) if default.is_callable else default.arg
        for name, processor in plan.processors.items():
            if name in params:
                params[name] = processor(params[name])
        if not plan.names <= params.keys():
            missing = ", ".join(sorted(plan.names - params.keys()))
            raise ValueError(f"fastsql: no value given for {missing}")
        driver = connection.connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        if plan.order is None:
            cursor.execute(plan.sql, params)
        else:
            cursor.execute(plan.sql, tuple(params[name] for name in plan.order))
        return cursor

    def execute(self, db: Session | Connection, values: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        cursor = self._run(db, values)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def rows(self, db: Session | Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it and return every row, as the driver gives them."""
        cursor = self._run(db, values)
        rows = [tuple(row) for row in cursor.fetchall()]
        cursor.close()
        return rows

    def scalar(self, db: Session | Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None when there is no row."""
        rows = self.rows(db, values)
        return rows[0][0] if rows else None


_CONNECTION = "fastsql.connection"


def _connection(db: Session | Connection) -> Connection:
    """The Core connection under `db`, its transaction begun; pending ORM changes flushed.

    Asking the session for it costs about 60 µs, so it is kept in `session.info` for as
    long as the session's transaction lasts.
    """
    if isinstance(db, Connection):
        return db
    if db.autoflush and (db.new or db.dirty or db.deleted):
        db.flush()
    transaction = db.get_transaction()
    kept = db.info.get(_CONNECTION)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1]  # type: ignore[no-any-return]
    connection = db.connection()
    db.info[_CONNECTION] = (db.get_transaction(), connection)
    return connection
