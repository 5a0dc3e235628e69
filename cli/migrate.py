"""Run the Alembic migrations programmatically (no alembic.ini needed).

Here, at the edge, and not in core: core defines the schema (core.models), the migrations
package is how a database gets there, and only the roles that start things run it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import migrations
from core.db import private_sqlite_file

SCRIPT_LOCATION = Path(migrations.__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision`."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        private_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), revision)


def head_revision() -> str:
    """The newest revision in the migrations folder."""
    head = ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the connected database is at, or None when unmigrated."""
    return MigrationContext.configure(connection).get_current_revision()
