"""SQLite's WAL checkpoints, moved off the request path into one thread per process.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
one commit copies the pages into the database and syncs it, so one webhook request in
many would pay for everyone's writes (figures in docs/benchmarks.md). Our engines raise the
automatic threshold to a safety net (AUTOCHECKPOINT_PAGES) and this thread checkpoints every
watched file whose WAL was written since its last look, PASSIVE (it never waits for readers
or writers), every INTERVAL seconds. When the last connection to a database closes, SQLite
checkpoints it as usual.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from urllib.parse import quote

log = logging.getLogger(__name__)
INTERVAL = 0.5
# A commit still checkpoints once the WAL passes this (80 MB at 4 KiB pages): only if this
# thread cannot keep up or is not running.
AUTOCHECKPOINT_PAGES = 20_000

_watched: dict[str, int] = {}  # database file -> WAL mtime (ns) at the last checkpoint
_lock = threading.Lock()
_running_in: int | None = None  # the pid whose thread runs (a forked child starts its own)


def watch(database: str) -> None:
    """Checkpoint `database` (a file path) from this process's thread from now on."""
    global _running_in
    with _lock:
        _watched.setdefault(database, 0)
        if _running_in != os.getpid():
            _running_in = os.getpid()
            threading.Thread(target=_loop, name="sqlite-checkpoint", daemon=True).start()


def checkpoint_due() -> list[str]:
    """One round: checkpoint each watched file whose WAL changed; returns those done.

    A file that is gone is forgotten (and never created again)."""
    with _lock:
        files = list(_watched.items())
    done = []
    for database, seen in files:
        try:
            changed = os.stat(f"{database}-wal").st_mtime_ns
        except FileNotFoundError:
            if not os.path.exists(database):
                with _lock:
                    _watched.pop(database, None)
            continue
        if changed == seen:
            continue
        if _checkpoint(database):
            done.append(database)
            with _lock:
                if database in _watched:
                    _watched[database] = changed
    return done


def _checkpoint(database: str) -> bool:
    """A PASSIVE checkpoint on a connection of its own; False when it could not run."""
    try:
        connection = sqlite3.connect(f"file:{quote(database)}?mode=rw", uri=True, timeout=0)
    except sqlite3.Error:
        return False
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return True
    except sqlite3.Error:  # busy: the next round tries again
        return False
    finally:
        connection.close()


def _loop() -> None:
    while True:
        time.sleep(INTERVAL)
        try:
            checkpoint_due()
        except Exception:  # keep checkpointing whatever one round met
            log.exception("sqlite checkpoint round failed")
