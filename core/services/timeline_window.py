"""Keyset pages of a timeline merged from several tables (a fan's story): every item has
the key (at, rank, row id), rank telling its source, so a page continues exactly where the
last one ended, never by OFFSET. Pages show the newest first: `before` walks to older
items, `after` back to newer ones."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from core.timeutil import as_utc
from core.validation import ValidationError

Key = tuple[datetime, int, int]  # (at, rank of the source, row id in the source)
T = TypeVar("T")
Ts = TypeVarTuple("Ts")
PAGE_SIZE = 50
CURSOR_MAX = 120


@dataclass(frozen=True)
class Window:
    """Which page: the `limit` items before the cursor (older), or after it (newer)."""

    cursor: Key | None = None
    older: bool = True  # True: before the cursor (or the newest page); False: after it
    limit: int = PAGE_SIZE

    def where(self, at: Any, rank: int, row_id: Any) -> ColumnElement[bool] | None:
        """The SQL condition for a source whose items all have `rank`: past the cursor."""
        if self.cursor is None:
            return None
        c_at, c_rank, c_id = self.cursor
        condition: ColumnElement[bool]
        if rank != c_rank:  # the rank decides between items at the cursor's time
            past_rank = rank < c_rank if self.older else rank > c_rank
            if past_rank:
                condition = at <= c_at if self.older else at >= c_at
            else:
                condition = at < c_at if self.older else at > c_at
        elif self.older:
            condition = or_(at < c_at, and_(at == c_at, row_id < c_id))
        else:
            condition = or_(at > c_at, and_(at == c_at, row_id > c_id))
        return condition

    def rows(self, query: Select[*Ts], at: Any, rank: int, row_id: Any) -> Select[*Ts]:
        """`query` cut to this window: past the cursor, in walking order, limit + 1 rows."""
        condition = self.where(at, rank, row_id)
        if condition is not None:
            query = query.where(condition)
        order = (at.desc(), row_id.desc()) if self.older else (at.asc(), row_id.asc())
        return query.order_by(*order).limit(self.limit + 1)

    def past(self, key: Key) -> bool:
        """Whether an item with `key` is in this window (for sources read whole)."""
        if self.cursor is None:
            return True
        return key < self.cursor if self.older else key > self.cursor


@dataclass(frozen=True)
class Cut:
    """One page, newest first, and the cursors to the pages either side (None: none)."""

    items: tuple[Any, ...]
    older: str | None
    newer: str | None


def cut(window: Window, keyed: Iterable[tuple[Key, T]]) -> Cut:
    """This window's page of the merged items (each with its key), newest first."""
    walked = sorted(
        (pair for pair in keyed if window.past(pair[0])),
        key=lambda pair: pair[0],
        reverse=window.older,
    )
    page, more = walked[: window.limit], len(walked) > window.limit
    if not window.older:
        page.reverse()
    if not page:
        return Cut((), None, None)
    newest, oldest = encode(page[0][0]), encode(page[-1][0])
    came_from = window.cursor is not None
    if window.older:
        return Cut(
            tuple(i for _, i in page), oldest if more else None, newest if came_from else None
        )
    return Cut(tuple(i for _, i in page), oldest if came_from else None, newest if more else None)


def encode(key: Key) -> str:
    """The opaque cursor of an item."""
    at, rank, row_id = key
    raw = f"{as_utc(at).isoformat()}|{rank}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, field: str) -> Key:
    """The key of a cursor; ValidationError naming `field` when it is not one of ours."""
    bad = ValidationError(field, "not a cursor of this timeline; start again from the newest")
    if not cursor or len(cursor) > CURSOR_MAX:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, rank, row_id = raw.split("|")
        at = datetime.fromisoformat(when)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if at.tzinfo is None or not rank.isdigit() or not row_id.isdigit():
        raise bad
    return as_utc(at), int(rank), int(row_id)


def window(before: str | None, after: str | None, limit: int = PAGE_SIZE) -> Window:
    """The window that query arguments ask for (ValidationError naming the bad one)."""
    if before and after:
        raise ValidationError("after", "give before or after, not both")
    if before:
        return Window(decode(before, "before"), True, limit)
    if after:
        return Window(decode(after, "after"), False, limit)
    return Window(None, True, limit)
