"""The SQLite database holds phone numbers and encrypted tokens: like the secret files, it
and its -wal and -shm files are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import dispose_all
from tests.integration.cli_helpers import run


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new instance folder with nothing in it, under the common umask 022."""
    instance = tmp_path / "instance"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    before = os.umask(0o022)
    yield instance
    os.umask(before)
    dispose_all()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_files_are_0600_after_db_upgrade(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    database = fresh / "presave.db"
    assert mode(database) == 0o600
    create = ["campaign", "create", "--artist", "A", "--title", "T", "--keyword", "bloom"]
    code, _, err = run(capsys, *create, "--release-at", "2030-01-01T00:00:00+00:00")
    assert code == 0, err
    for suffix in ("-wal", "-shm"):
        companion = fresh / f"presave.db{suffix}"
        if companion.exists():  # present while a connection is open
            assert mode(companion) == 0o600, suffix
    assert (fresh / "presave.db-wal").exists() or (fresh / "presave.db-shm").exists()
    assert mode(database) == 0o600
