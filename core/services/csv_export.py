"""What the artist's CSV downloads share: cells safe to open in a spreadsheet, UTC times, and
the stream itself (one short read per chunk of rows, so memory stays flat and no transaction
is held open while a slow client downloads)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from core.db import Db
from core.timeutil import as_utc

CHUNK = 1000
ZERO = timedelta(0)
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Key = TypeVar("Key")
Cell = str | int | None
Reader = Callable[[], AbstractContextManager[Db]]


def guard(value: str | None) -> str:
    """A cell a fan could have typed, made inert: a leading ' when a spreadsheet would read it
    as a formula (OWASP's advice for CSV injection); None is an empty cell."""
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


def utc(value: datetime | None) -> str:
    """An ISO 8601 UTC time to the second, `2026-12-04T05:00:00Z`; empty for None (naive
    times are refused). Written by isoformat: a quarter of strftime's cost per cell."""
    if value is None:
        return ""
    if value.utcoffset() != ZERO:
        value = as_utc(value)
    return value.isoformat(timespec="seconds")[:19] + "Z"


class Chunk(Generic[Key]):
    """One read's rows (already cells) and the key to continue after, None when done."""

    __slots__ = ("after", "rows")

    def __init__(self, rows: Sequence[Sequence[Cell]], after: Key | None) -> None:
        self.rows = rows
        self.after = after


def stream(
    header: Sequence[str],
    reader: Reader,
    read: Callable[[Db, Key | None], Chunk[Key]],
) -> Iterator[str]:
    """The CSV text: the header, then one piece per chunk; each chunk is read on its own
    short connection from `reader` (so the download holds no transaction between chunks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    after: Key | None = None
    while True:
        with reader() as db:
            chunk = read(db, after)
        writer.writerows(chunk.rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if chunk.after is None:
            return
        after = chunk.after
