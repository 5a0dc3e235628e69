"""What the phone simulator says about texts quiet hours hold for its number: a drop text or
countdown sent at night waits for the fan's morning, and the fan should see why nothing came."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus, Fan
from core.quiet_hours import zones_of
from core.timeutil import as_utc


def held_note(session: Session, phone: str) -> str | None:
    """`2 texts to this phone are held by quiet hours: the next goes at 08:00 there (13:00
    UTC).`, or None when none is held."""
    rows = session.execute(
        select(Delivery.not_before, Fan.timezone)
        .join(Fan, Fan.id == Delivery.fan_id)
        .where(
            Fan.phone_e164 == phone,
            Delivery.channel == "sms",
            Delivery.status == DeliveryStatus.HELD,
        )
    ).all()
    times = sorted((as_utc(at), zone) for at, zone in rows if at is not None)
    if not times:
        return None
    first, kept_zone = times[0]
    local = first.astimezone(zones_of(phone, kept_zone)[0])
    count = len(times)
    texts = f"{count} text to this phone is" if count == 1 else f"{count} texts to this phone are"
    return (
        f"{texts} held by quiet hours: the next goes at {local:%H:%M} there "
        f"({first:%H:%M} UTC, {first:%b} {first.day})."
    )
