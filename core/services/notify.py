"""Deliveries: one per (message, fan, channel), claimed before sending, consent checked then.

A delivery goes queued/held -> sending (committed before the provider is called) -> sent.
A crash between the provider's answer and our commit leaves it `sending`; `settle_stuck`
asks the provider whether it went out before anything is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, select, update
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
from core.services import funnel_events, send_state
from core.timeutil import utcnow
from core.upsert import insert_ignore_many

NOT_YET = (PreSaveStatus.PENDING, PreSaveStatus.QUEUED_FOR_MARKET, PreSaveStatus.PENDING_SOURCE)
# Channels a worker can deliver today; the others keep their rows queued for later.
SENDABLE = ("sms", "discord")
# A fan whose DMs Discord refused (50007) is not tried again for this long, unless they run
# a command meanwhile: each refusal counts toward Discord's invalid-request ban.
DMS_CLOSED_FOR = timedelta(days=7)
ByChannel = dict[str, list[int]]  # delivery ids by channel
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.HELD)
# Deliveries a worker can send; `on_channel` narrows them to one channel's.
# A Discord DM sent is the drop message delivered: `funnel_events.on_sent` notes it.
DELIVERIES = send_state.SendTable(
    Delivery, where=(Delivery.channel.in_(SENDABLE),), after_sent=funnel_events.on_sent
)


def on_channel(channel: str) -> send_state.SendTable:
    """The deliveries of one channel."""
    return DELIVERIES.narrowed(Delivery.channel == channel)


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


def mark_undeliverable(
    session: Session, delivery_id: int, fan_id: int, error: str, code: str | None
) -> None:
    """The channel refuses this fan (Discord 50007: DMs closed): never retried, and the fan's
    next Discord messages are not tried either until they run a command again."""
    status = DeliveryStatus.UNDELIVERABLE
    send_state.give_up(session, DELIVERIES, delivery_id, status, error, error_code=code)
    if code == "50007":
        session.execute(update(Fan).where(Fan.id == fan_id).values(discord_dms_closed_at=utcnow()))


def address_of(session: Session, delivery_id: int) -> str | None:
    """The number or Discord user id a delivery goes to."""
    row = session.execute(
        select(Delivery.channel, Fan.phone_e164, Fan.discord_user_id)
        .join(Fan, Fan.id == Delivery.fan_id)
        .where(Delivery.id == delivery_id)
    ).first()
    if row is None:
        return None
    address: str | None = row.discord_user_id if row.channel == "discord" else row.phone_e164
    return address


def remember_dm_channels(session: Session, channels: Sequence[tuple[int, str | None]]) -> None:
    """DM channels opened (or found gone: None) while sending, kept on each fan (one
    executemany for a batch)."""
    if channels:
        rows = [{"fan": fan_id, "channel": channel} for fan_id, channel in channels]
        session.execute(_KEEP_DM_CHANNEL, rows)


_FANS: Table = Fan.__table__  # type: ignore[assignment]
_KEEP_DM_CHANNEL = (
    update(_FANS)
    .where(_FANS.c.id == bindparam("fan"))
    .values(discord_dm_channel_id=bindparam("channel"))
)
