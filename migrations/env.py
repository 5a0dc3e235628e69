"""Alembic environment: runs against the connection or URL given by cli.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from core.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Upgrade over a given connection, or open one from sqlalchemy.url."""
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `presave db upgrade`")
run()
