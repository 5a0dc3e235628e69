"""Migrations build, on an empty database, exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from cli import migrate
from core.models import Base


def assert_matches_models(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
        assert migrate.current_revision(connection) == migrate.head_revision()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_upgrade_empty_sqlite_matches_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"
    migrate.upgrade(url)
    assert_matches_models(url)


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    migrate.upgrade(url)
    migrate.upgrade(url)
    assert_matches_models(url)


@pytest.mark.postgres
def test_upgrade_empty_postgres_matches_models(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    assert_matches_models(pg_url)


def test_servers_bound_before_allowances_stay_allowed(tmp_path: Path) -> None:
    """0008: a binding made before the artist's consent existed counts as allowed."""
    url = f"sqlite:///{tmp_path / 'bound.db'}"
    migrate.upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO artists (id, name, created_at) VALUES (1, 'Mira Vale', '2026-12-01')",
            "INSERT INTO campaigns (id, artist_id, slug, keyword, title, release_at, timezone,"
            " status, action_save, action_follow, created_at) VALUES (1, 1, 'night-bloom', 'BLOOM',"
            " 'Night Bloom', '2026-12-20', 'UTC', 'open', 1, 1, '2026-12-01')",
            "INSERT INTO discord_bindings (campaign_id, guild_id, channel_id, role_id, bound_by,"
            " created_at, updated_at) VALUES (1, '111111111111111111', '2', '3', '4',"
            " '2026-12-02', '2026-12-02')",
        ):
            connection.execute(text(statement))
    migrate.upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT campaign_id, guild_id FROM discord_allowances"))
        assert [tuple(r) for r in rows] == [(1, "111111111111111111")]
    engine.dispose()
    assert_matches_models(url)


def test_a_model_change_without_migration_is_detected(tmp_path: Path) -> None:
    """The comparison above can fail: a column the migrations lack shows up as a diff."""
    from sqlalchemy import Column, MetaData, String, Table

    url = f"sqlite:///{tmp_path / 'drift.db'}"
    migrate.upgrade(url)
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("fans", drifted, Column("nickname", String(20)), extend_existing=True)
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), drifted)
    engine.dispose()
    assert any(d[0] == "add_column" and d[3].name == "nickname" for d in diff)
