"""The send lifecycle, once, over any table with the `SendState` columns.

A row waits (queued, held) until its `not_before`; a worker claims it (one claimer wins:
an UPDATE ... RETURNING on rows still due); then it is sent, retried later, or given up.
A claimed row is `sending` until the outcome is written, so a worker that died there is
found again (`stuck`) and settled by asking the provider before anything goes out twice.

A table whose claim is a lease instead (pre-saver roles: asking Discord twice is harmless)
keeps its status while claimed and pushes `not_before` out by the lease: the row comes
due again by itself if the worker dies. `SendTable` names a table's own status values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, literal, or_, select, update
from sqlalchemy.orm import Session

from core.models import DeliveryStatus
from core.timeutil import utcnow

# What jobs record a row as when it will not go out (jobs do not import the models).
CANCELLED, FAILED = DeliveryStatus.CANCELLED, DeliveryStatus.FAILED

LOST = "worker lost before sending"


@dataclass(frozen=True)
class SendTable:
    """A table of outgoing rows and the values its lifecycle writes."""

    model: Any  # a mapped class with the SendState columns (and maybe provider_id)
    where: tuple[ColumnElement[bool], ...] = ()  # the rows of this kind (a channel, ...)
    pending: tuple[str, ...] = (DeliveryStatus.QUEUED, DeliveryStatus.HELD)
    sending: str | None = DeliveryStatus.SENDING  # None: claimed by a lease on not_before
    lease: timedelta = timedelta(minutes=2)
    sent: str = DeliveryStatus.SENT
    sent_at: str = "sent_at"
    # Called with the ids `mark_sent` wrote, in its transaction (the funnel's events).
    after_sent: Callable[[Session, list[int]], object] | None = None

    @property
    def table(self) -> Table:
        table: Table = self.model.__table__
        return table

    def narrowed(self, *where: ColumnElement[bool]) -> SendTable:
        """The same table, limited to the rows that also match `where`."""
        return replace(self, where=(*self.where, *where))


def _due(t: SendTable, now: datetime) -> ColumnElement[bool]:
    m = t.model
    return and_(m.status.in_(t.pending), or_(m.not_before.is_(None), m.not_before <= now), *t.where)


def claim(
    session: Session, t: SendTable, ids: Sequence[int], now: datetime | None = None
) -> list[int]:
    """Of `ids`, the due rows this caller now holds (sorted); no other claimer gets them."""
    if not ids:
        return []
    now, m = now or utcnow(), t.model
    taken: dict[str, object] = {"attempts": m.attempts + 1, "updated_at": now}
    if t.sending is None:
        taken["not_before"] = now + t.lease
    else:
        taken["status"] = t.sending
    result = session.execute(
        update(m).where(m.id.in_(ids), _due(t, now)).values(**taken).returning(m.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(int(i) for i in result.scalars())


def due(session: Session, t: SendTable, limit: int = 10_000) -> list[int]:
    """Rows whose time has come, oldest first (for reconcile)."""
    query = select(t.model.id).where(_due(t, utcnow()))
    return [int(i) for i in session.scalars(query.order_by(t.model.id).limit(limit))]


def not_yet_due(session: Session, t: SendTable, ids: Sequence[int]) -> dict[int, datetime]:
    """Of `ids`, those queued for later: id -> when (a job that came early queues again)."""
    if not ids:
        return {}
    m = t.model
    rows = session.execute(
        select(m.id, m.not_before).where(
            m.id.in_(ids), m.status == t.pending[0], m.not_before > utcnow(), *t.where
        )
    )
    return {int(i): when for i, when in rows if when is not None}


def held_until(session: Session, t: SendTable, ids: Sequence[int]) -> dict[int, datetime]:
    """Of `ids`, those held (quiet hours, the daily cap): id -> when they may go."""
    if not ids:
        return {}
    m = t.model
    rows = session.execute(
        select(m.id, m.not_before).where(
            m.id.in_(ids), m.status.in_(t.pending[1:]), m.not_before > utcnow(), *t.where
        )
    )
    return {int(i): when for i, when in rows if when is not None}


def stuck(
    session: Session, t: SendTable, older_than: timedelta, limit: int = 1000
) -> list[tuple[int, datetime]]:
    """(id, claimed at) of rows left `sending` longer than `older_than`: a worker died
    between the claim and the outcome, or never heard the provider's answer."""
    if t.sending is None:
        return []  # a lease runs out by itself
    m = t.model
    query = select(m.id, m.updated_at).where(
        m.status == t.sending, m.updated_at < utcnow() - older_than, *t.where
    )
    return [(int(i), at) for i, at in session.execute(query.order_by(m.id).limit(limit))]


def _sent_statement(t: SendTable) -> Any:
    c = t.table.c
    open_states = [literal(s) for s in (*t.pending, *([t.sending] if t.sending else []))]
    values: dict[str, object] = {
        # A status callback may have come first (delivered, failed): it is not undone.
        "status": case((c.status.in_(open_states), t.sent), else_=c.status),
        t.sent_at: bindparam("at"),
        "updated_at": bindparam("at"),
        "error": None,
    }
    if "provider_id" in c:
        values["provider_id"] = bindparam("provider_id")
    return update(t.table).where(c.id == bindparam("row_id")).values(**values)


def mark_sent(session: Session, t: SendTable, sent: Sequence[tuple[int, str | None]]) -> None:
    """The provider took these rows: (id, the provider's id for it) each, one statement."""
    if sent:
        at = utcnow()
        rows = [{"row_id": i, "provider_id": pid, "at": at} for i, pid in sent]
        session.execute(_sent_statement(t), rows)
        if t.after_sent is not None:
            t.after_sent(session, [i for i, _ in sent])


def update_row(session: Session, t: SendTable, row_id: int, **values: object) -> None:
    """Write `values` (and updated_at) on one row."""
    session.execute(
        update(t.model).where(t.model.id == row_id).values(updated_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )


def give_up(
    session: Session, t: SendTable, row_id: int, status: str, reason: str, **values: object
) -> None:
    """It will not go out (failed, cancelled, ...); the reason is kept for the artist."""
    update_row(session, t, row_id, status=status, error=reason[:500], **values)


def retry_later(
    session: Session,
    t: SendTable,
    row_id: int,
    seconds: float,
    error: str,
    *,
    max_attempts: int | None = None,
    uncount: bool = False,
) -> bool:
    """Due again after `seconds`; False (and failed) once `max_attempts` were made.
    `uncount`: this try does not count (a 429, a request we never made)."""
    if max_attempts is not None:
        attempts = session.scalar(select(t.model.attempts).where(t.model.id == row_id))
        if attempts is not None and attempts >= max_attempts:
            failed = f"gave up after {attempts}: {error}"
            give_up(session, t, row_id, DeliveryStatus.FAILED, failed)
            return False
    update_row(
        session,
        t,
        row_id,
        status=t.pending[0],
        not_before=utcnow() + timedelta(seconds=seconds),
        error=error[:500],
        attempts=t.model.attempts - (1 if uncount else 0),
    )
    return True


def release(session: Session, t: SendTable, row_id: int) -> None:
    """Give back a claimed row nobody asked the provider about (not an attempt)."""
    update_row(
        session, t, row_id, status=t.pending[0], not_before=None, attempts=t.model.attempts - 1
    )
