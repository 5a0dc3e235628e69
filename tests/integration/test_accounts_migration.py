"""0010: accounts, teams and the audit log upgrade and downgrade on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from cli import migrate

NEW_TABLES = {"teams", "users", "memberships", "one_time_tokens", "audit_entries"}


def tables_and_artist_columns(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = inspect(connection)
        result = set(found.get_table_names()), {c["name"] for c in found.get_columns("artists")}
    engine.dispose()
    return result


def round_trip(url: str) -> None:
    migrate.upgrade(url, "0009")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO artists (id, name, created_at) VALUES (1, 'Mira Vale', '2026-12-01')")
        )
    engine.dispose()
    migrate.upgrade(url)
    tables, columns = tables_and_artist_columns(url)
    assert tables >= NEW_TABLES and "team_id" in columns
    command.downgrade(migrate.alembic_config(url), "0009")
    tables, columns = tables_and_artist_columns(url)
    assert not NEW_TABLES & tables and "team_id" not in columns
    engine = create_engine(url)
    with engine.connect() as connection:  # the artist survived both ways
        assert connection.execute(text("SELECT name FROM artists")).scalar() == "Mira Vale"
    engine.dispose()
    migrate.upgrade(url)
    assert tables_and_artist_columns(url)[0] >= NEW_TABLES


def test_0010_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    round_trip(f"sqlite:///{tmp_path / 'accounts.db'}")


@pytest.mark.postgres
def test_0010_upgrades_and_downgrades_on_postgres(pg_url: str) -> None:
    round_trip(pg_url)
