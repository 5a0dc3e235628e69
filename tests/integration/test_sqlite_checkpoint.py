"""WAL checkpoints run in the background thread, not inside request commits."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from core import sqlite_checkpoint
from core.db import dispose_all, get_engine

ROW = "x" * 20_000  # five pages a row


def test_commits_leave_the_wal_to_the_checkpoint_thread(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    wal = tmp_path / "app.db-wal"
    engine = get_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            autocheckpoint = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            assert autocheckpoint == sqlite_checkpoint.AUTOCHECKPOINT_PAGES
            connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            connection.commit()
            for _ in range(300):  # 1,500 pages: past SQLite's default threshold of 1,000
                connection.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": ROW})
                connection.commit()
            # Commits no longer copy the WAL into the database (their threshold is now
            # 20,000 pages): only the thread does, within a few rounds.
            assert wal.stat().st_size > 1000 * 4096
            deadline = time.monotonic() + 5 * sqlite_checkpoint.INTERVAL + 2
            while database.stat().st_size < 300 * len(ROW) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert database.stat().st_size >= 300 * len(ROW), "the thread copied the WAL in"
    finally:
        dispose_all()


def test_a_database_that_is_gone_is_forgotten_not_created(tmp_path: Path) -> None:
    database = tmp_path / "gone.db"
    sqlite_checkpoint.watch(str(database))
    assert str(database) not in sqlite_checkpoint.checkpoint_due()
    assert not database.exists()
    assert str(database) not in sqlite_checkpoint._watched
