"""Every fan of a campaign as CSV, for the artist's download: read in keyset pages of the
fan list (never OFFSET, never the whole campaign in memory at once)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.orm import Session

from core.services import fan_list
from core.services.fan_list import FanRow
from core.timeutil import as_utc

HEADER = ("fan", "channels", "status", "joined_at_utc")


def all_fans(
    session: Session, campaign_id: int, chunk: int = fan_list.MAX_LIMIT
) -> Iterator[FanRow]:
    """The campaign's fans, newest first, one keyset page of `chunk` rows at a time."""
    after: str | None = None
    while True:
        found = fan_list.page(session, campaign_id, after=after, limit=chunk)
        yield from found.rows
        if found.next_cursor is None:
            return
        after = found.next_cursor


def csv_chunks(
    session: Session, campaign_id: int, chunk: int = fan_list.MAX_LIMIT
) -> Iterator[str]:
    """The CSV text: the header, then one piece per page of fans. Every cell is ours (a
    masked phone or Discord name, channel and status names, a time), none typed by a fan."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for rows, fan in enumerate(all_fans(session, campaign_id, chunk), start=1):
        joined = as_utc(fan.joined_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow((fan.display, " ".join(fan.channels), fan.status, joined))
        if rows % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
