"""Consent: opt-ins per campaign, opt-outs per sender, and the check made at send time."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from sqlalchemy import bindparam, delete, select, update

from core.db import Db
from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    OptOut,
)
from core.timeutil import utcnow
from core.upsert import insert_ignore

PENDING_DELIVERY = (DeliveryStatus.QUEUED, DeliveryStatus.HELD)
# Built once: asked on every keyword opt-in (SQLAlchemy caches its SQL).
_OPTED_OUT = select(OptOut.id).where(
    OptOut.fan_id == bindparam("fan_id"),
    OptOut.channel == bindparam("channel"),
    OptOut.sender == bindparam("sender"),
)


class OptInResult(StrEnum):
    """What an opt-in did."""

    NEW = "new"
    DUPLICATE = "duplicate"
    BLOCKED = "blocked"  # the fan opted out of this sender: nothing recorded


def opted_out(session: Db, fan_id: int, channel: str, sender: str) -> bool:
    """Whether the fan said STOP to this sender on this channel."""
    params = {"fan_id": fan_id, "channel": channel, "sender": sender}
    return session.scalar(_OPTED_OUT, params) is not None


def is_opted_in(session: Db, fan_id: int, campaign_id: int, channel: str) -> bool:
    """Whether the fan's consent to the campaign on `channel` stands (a STOP aside)."""
    query = select(Consent.id).where(
        Consent.fan_id == fan_id,
        Consent.campaign_id == campaign_id,
        Consent.channel == channel,
        Consent.status == ConsentStatus.OPTED_IN,
    )
    return session.scalar(query) is not None


def opt_in(
    session: Db,
    fan_id: int,
    campaign_id: int,
    channel: str,
    sender: str,
    source: str,
    *,
    check_opt_out: bool = True,
) -> OptInResult:
    """Record the fan's consent to the campaign's messages on `channel` from `sender`."""
    if check_opt_out and opted_out(session, fan_id, channel, sender):
        return OptInResult.BLOCKED
    now = utcnow()
    new_id = insert_ignore(
        session,
        Consent.__table__,  # type: ignore[arg-type]
        {
            "fan_id": fan_id,
            "campaign_id": campaign_id,
            "channel": channel,
            "sender": sender,
            "status": ConsentStatus.OPTED_IN.value,
            "source": source,
            "at": now,
        },
        Consent.id,
    )
    if new_id is not None:
        return OptInResult.NEW
    reopened = session.execute(
        update(Consent)
        .where(
            Consent.fan_id == fan_id,
            Consent.campaign_id == campaign_id,
            Consent.channel == channel,
            Consent.status != ConsentStatus.OPTED_IN,
        )
        .values(status=ConsentStatus.OPTED_IN, at=now, sender=sender)
    )
    return OptInResult.NEW if getattr(reopened, "rowcount", 0) else OptInResult.DUPLICATE


def opt_out(session: Db, fan_id: int, channel: str, sender: str, reason: str) -> int:
    """Opt the fan out of every campaign on this sender and cancel what is queued to them.

    Returns how many queued or held deliveries were cancelled.
    """
    now = utcnow()
    insert_ignore(
        session,
        OptOut.__table__,  # type: ignore[arg-type]
        {"fan_id": fan_id, "channel": channel, "sender": sender, "reason": reason, "at": now},
        OptOut.id,
    )
    session.execute(
        update(Consent)
        .where(Consent.fan_id == fan_id, Consent.channel == channel, Consent.sender == sender)
        .values(status=ConsentStatus.OPTED_OUT, at=now)
    )
    cancelled = session.execute(
        update(Delivery)
        .where(
            Delivery.fan_id == fan_id,
            Delivery.channel == channel,
            Delivery.status.in_(PENDING_DELIVERY),
        )
        .values(status=DeliveryStatus.CANCELLED, error="recipient opted out", updated_at=now)
    )
    return int(getattr(cancelled, "rowcount", 0) or 0)


def lift_opt_out(session: Db, fan_id: int, channel: str, sender: str) -> bool:
    """Forget a STOP on this sender, leaving each campaign's consent as it is; True when
    there was one."""
    removed = session.execute(
        delete(OptOut.__table__).where(  # type: ignore[arg-type]
            OptOut.fan_id == fan_id, OptOut.channel == channel, OptOut.sender == sender
        )
    )
    return bool(getattr(removed, "rowcount", 0))


def opt_back_in(session: Db, fan_id: int, channel: str, sender: str) -> bool:
    """Undo a STOP on this sender (START/UNSTOP/YES); True when there was one to undo."""
    if not lift_opt_out(session, fan_id, channel, sender):
        return False
    session.execute(
        update(Consent)
        .where(Consent.fan_id == fan_id, Consent.channel == channel, Consent.sender == sender)
        .values(status=ConsentStatus.OPTED_IN, at=utcnow())
    )
    return True


ConsentKey = tuple[int, int, str]  # (fan id, campaign id, channel)


def messageable(db: Db, keys: Collection[ConsentKey]) -> set[ConsentKey]:
    """The send-time check for a batch, in one query: of these (fan, campaign, channel)
    keys, those with an opted-in consent and no STOP on its sender."""
    if not keys:
        return set()
    fans = {fan for fan, _, _ in keys}
    campaigns = {campaign for _, campaign, _ in keys}
    channels = {channel for _, _, channel in keys}
    rows = db.execute(
        select(Consent.fan_id, Consent.campaign_id, Consent.channel)
        .outerjoin(
            OptOut,
            (OptOut.fan_id == Consent.fan_id)
            & (OptOut.channel == Consent.channel)
            & (OptOut.sender == Consent.sender),
        )
        .where(
            Consent.fan_id.in_(fans),
            Consent.campaign_id.in_(campaigns),
            Consent.channel.in_(channels),
            Consent.status == ConsentStatus.OPTED_IN,
            OptOut.id.is_(None),
        )
    )
    return {(int(f), int(c), str(ch)) for f, c, ch in rows} & set(keys)
