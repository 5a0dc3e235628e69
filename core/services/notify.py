"""Deliveries: one per (message, fan, channel), claimed before sending, consent checked then.

A delivery goes queued/held -> sending (committed before the provider is called) -> sent.
A crash between the provider's answer and our commit leaves it `sending`; `settle_stuck`
asks the provider whether it went out before anything is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, case, literal, or_, select, update
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    Fan,
    PreSave,
    PreSaveStatus,
    ScheduledMessage,
)
from core.timeutil import utcnow
from core.upsert import insert_ignore_many

SENDING_LEASE = timedelta(minutes=5)
NOT_YET = (PreSaveStatus.PENDING, PreSaveStatus.QUEUED_FOR_MARKET, PreSaveStatus.PENDING_SOURCE)
# Channels a worker can deliver today; the others keep their rows queued for later.
SENDABLE = ("sms", "discord")
# A fan whose DMs Discord refused (50007) is not tried again for this long, unless they run
# a command meanwhile: each refusal counts toward Discord's invalid-request ban.
DMS_CLOSED_FOR = timedelta(days=7)
ByChannel = dict[str, list[int]]  # delivery ids by channel
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.HELD)
_NOT_SENT_YET = (*PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Outgoing:
    """One claimed delivery, ready to send."""

    delivery_id: int
    fan_id: int
    campaign_id: int
    channel: str
    to: str  # a phone number (sms) or a Discord user id
    body: str
    dm_channel: str | None = None  # Discord: the DM channel opened with the fan before


def fans_to_tell_now(session: Session, campaign_id: int) -> list[int]:
    """Consenting fans with no save to wait for (no pre-save, or one that cannot run)."""
    pending = select(PreSave.fan_id).where(
        PreSave.campaign_id == campaign_id, PreSave.status.in_((*NOT_YET, PreSaveStatus.SAVED))
    )
    query = select(Consent.fan_id).where(
        Consent.campaign_id == campaign_id,
        Consent.status == ConsentStatus.OPTED_IN,
        Consent.fan_id.not_in(pending),
    )
    return sorted(set(session.scalars(query)))


def create_deliveries(
    session: Session, message_id: int, campaign_id: int, fan_ids: Sequence[int]
) -> ByChannel:
    """A delivery per consenting channel of each fan, on the message's channels; the ids
    created now (only), by channel."""
    if not fan_ids:
        return {}
    listed = session.scalar(
        select(ScheduledMessage.channels).where(ScheduledMessage.id == message_id)
    )
    channels = [c for c in (listed or "").split(",") if c]
    rows = session.execute(
        select(Consent.fan_id, Consent.channel).where(
            Consent.campaign_id == campaign_id,
            Consent.fan_id.in_(fan_ids),
            Consent.channel.in_(channels),
            Consent.status == ConsentStatus.OPTED_IN,
        )
    ).all()
    if not rows:
        return {}
    now = utcnow()
    values = [
        {
            "message_id": message_id,
            "fan_id": fan_id,
            "channel": channel,
            "status": DeliveryStatus.QUEUED.value,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for fan_id, channel in rows
    ]
    table: Table = Delivery.__table__  # type: ignore[assignment]
    created = set(insert_ignore_many(session, table, values, Delivery.id))
    if not created:
        return {}
    return channels_of(session, sorted(int(i) for i in created))


def channels_of(session: Session, delivery_ids: Sequence[int]) -> ByChannel:
    """Delivery ids grouped by channel (each channel's send jobs have a queue of their own)."""
    grouped: ByChannel = {}
    if not delivery_ids:
        return grouped
    rows = session.execute(
        select(Delivery.id, Delivery.channel).where(Delivery.id.in_(delivery_ids))
    )
    for delivery_id, channel in sorted(rows):
        grouped.setdefault(channel, []).append(int(delivery_id))
    return grouped


def claim(session: Session, delivery_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Move due deliveries to `sending` at `now`; a delivery is claimed by one worker only.
    Its text is worded at that same moment (reconcile re-words it so to find it sent)."""
    if not delivery_ids:
        return []
    now = now or utcnow()
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.status.in_(PENDING),
            Delivery.channel.in_(SENDABLE),
            or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
        )
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        .returning(Delivery.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(result.scalars())


def not_yet_due(session: Session, delivery_ids: Sequence[int]) -> dict[int, datetime]:
    """Of `delivery_ids`, those queued for later: id -> when (a job that came early re-queues)."""
    if not delivery_ids:
        return {}
    rows = session.execute(
        select(Delivery.id, Delivery.not_before).where(
            Delivery.id.in_(delivery_ids),
            Delivery.status == DeliveryStatus.QUEUED,
            Delivery.not_before > utcnow(),
        )
    )
    return {int(i): when for i, when in rows if when is not None}


def _set(session: Session, delivery_id: int, **values: object) -> None:
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(updated_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True)
class SetAside:
    """A claimed delivery that does not go now: held until `not_before`, or given up."""

    delivery_id: int
    status: DeliveryStatus
    not_before: datetime | None = None
    error: str | None = None


_SET_ASIDE = (
    update(Delivery.__table__)  # type: ignore[arg-type]
    .where(Delivery.__table__.c.id == bindparam("delivery_id"))
    .values(
        status=bindparam("status"),
        not_before=bindparam("not_before"),
        error=bindparam("error"),
        updated_at=bindparam("at"),
    )
)


def set_aside(session: Session, decisions: Sequence[SetAside]) -> None:
    """Record a batch's held and given-up deliveries in one statement."""
    if decisions:
        at = utcnow()
        session.execute(_SET_ASIDE, [
            {"delivery_id": d.delivery_id, "status": d.status, "not_before": d.not_before,
             "error": d.error, "at": at}
            for d in decisions
        ])  # fmt: skip


def dm_open(fan: Fan, now: datetime) -> bool:
    """Whether a Discord DM to the fan is worth a request (not refused in the last week)."""
    closed = fan.discord_dms_closed_at
    return fan.discord_user_id is not None and (closed is None or now - closed > DMS_CLOSED_FOR)


def mark_sent(session: Session, delivery_id: int, provider_id: str) -> None:
    """The provider accepted the message."""
    mark_sent_many(session, [(delivery_id, provider_id)])


_STATUS = Delivery.__table__.c.status
_MARK_SENT = (
    update(Delivery.__table__)  # type: ignore[arg-type]
    .where(Delivery.__table__.c.id == bindparam("delivery_id"))
    .values(
        # A status callback may have come first (delivered, failed): it is not undone.
        status=case(
            (
                Delivery.__table__.c.status.in_([literal(s) for s in _NOT_SENT_YET]),
                DeliveryStatus.SENT,
            ),
            else_=Delivery.__table__.c.status,
        ),
        provider_id=bindparam("provider_id"),
        sent_at=bindparam("at"),
        updated_at=bindparam("at"),
        error=None,
    )
)


def mark_sent_many(session: Session, sent: Sequence[tuple[int, str]]) -> None:
    """The provider accepted these messages: (delivery id, provider id) each, one statement."""
    if sent:
        now = utcnow()
        session.execute(
            _MARK_SENT,
            [{"delivery_id": i, "provider_id": sid, "at": now} for i, sid in sent],
        )


def mark_failed(session: Session, delivery_id: int, error: str, code: str | None = None) -> None:
    """The message will not go out (the reason is kept for the artist)."""
    _set(session, delivery_id, status=DeliveryStatus.FAILED, error=error[:500], error_code=code)


def mark_undeliverable(
    session: Session, delivery_id: int, fan_id: int, error: str, code: str | None
) -> None:
    """The channel refuses this fan (Discord 50007: DMs closed): never retried, and the fan's
    next Discord messages are not tried either until they run a command again."""
    status = DeliveryStatus.UNDELIVERABLE
    _set(session, delivery_id, status=status, error=error[:500], error_code=code)
    if code == "50007":
        session.execute(update(Fan).where(Fan.id == fan_id).values(discord_dms_closed_at=utcnow()))


def cancel(session: Session, delivery_id: int, reason: str) -> None:
    """Not to be sent (consent withdrawn); the reason is kept."""
    _set(session, delivery_id, status=DeliveryStatus.CANCELLED, error=reason[:500])


def retry_later(session: Session, delivery_id: int, seconds: float, error: str) -> None:
    """Back to queued, not before `seconds` from now."""
    _set(
        session,
        delivery_id,
        status=DeliveryStatus.QUEUED,
        not_before=utcnow() + timedelta(seconds=seconds),
        error=error[:500],
    )


def stuck_sending(
    session: Session, older_than: timedelta = SENDING_LEASE, channel: str = "sms"
) -> list[tuple[int, str | None, datetime]]:
    """(id, the fan's number or Discord user id, claimed at) of deliveries on `channel`
    handed to a provider by a worker that never came back."""
    cutoff = utcnow() - older_than
    address = Fan.discord_user_id if channel == "discord" else Fan.phone_e164
    query = (
        select(Delivery.id, address, Delivery.updated_at)
        .outerjoin(Fan, Fan.id == Delivery.fan_id)
        .where(
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.channel == channel,
            Delivery.updated_at < cutoff,
        )
    )
    return [(i, phone, at) for i, phone, at in session.execute(query.limit(1000))]


def due(session: Session, channels: Sequence[str] = SENDABLE, limit: int = 10_000) -> ByChannel:
    """Queued or held deliveries on `channels` whose time has come (for reconcile)."""
    now = utcnow()
    query = select(Delivery.id, Delivery.channel).where(
        Delivery.status.in_(PENDING),
        Delivery.channel.in_(channels),
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
    )
    grouped: ByChannel = {}
    for delivery_id, channel in session.execute(query.order_by(Delivery.id).limit(limit)):
        grouped.setdefault(channel, []).append(int(delivery_id))
    return grouped
