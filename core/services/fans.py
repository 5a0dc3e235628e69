"""Find or create fans by the identity a channel gives us."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import Db
from core.models import Fan
from core.timeutil import utcnow
from core.upsert import insert_ignore


class InvalidPhone(ValueError):
    """Not a valid phone number in any country."""


@dataclass(frozen=True)
class Place:
    """Where a fan is, as the carrier or Spotify tells us (any part may be unknown)."""

    country: str | None = None
    region: str | None = None
    city: str | None = None


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """E.164 form of `raw`; raises InvalidPhone for anything that is not a real number."""
    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(raw) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """A phone number safe for logs: country code and last two digits."""
    return e164[:3] + "*" * max(0, len(e164) - 5) + e164[-2:]


def display_name(phone: str | None, discord_user_id: str | None) -> str:
    """How the list names a fan without showing their number: masked phone, else Discord."""
    if phone:
        return mask_phone(phone)
    if discord_user_id:
        return f"Discord user …{discord_user_id[-4:]}"
    return "Spotify only"


def _place_values(place: Place) -> dict[str, str]:
    values = {}
    if place.country and len(place.country.strip()) == 2:
        values["country"] = place.country.strip().upper()
    if place.region:
        values["region"] = place.region[:64]
    if place.city:
        values["city"] = place.city[:64]
    return values


def fan_id_for(session: Db, column: str, value: str, place: Place) -> tuple[int, bool]:
    """The id of the fan whose `column` is `value`, created if new; (id, created).

    A new fan costs one statement; a known one a select, plus an update when it moved.
    """
    attribute = getattr(Fan, column)
    known = _place_values(place)
    new_id = insert_ignore(
        session,
        Fan.__table__,  # type: ignore[arg-type]
        {column: value, "created_at": utcnow(), **known},
        Fan.id,
    )
    if new_id is not None:
        return int(new_id), True
    row = session.execute(
        select(Fan.id, Fan.country, Fan.region, Fan.city).where(attribute == value)
    ).one()
    changed = {k: v for k, v in known.items() if getattr(row, k) != v}
    if changed:
        session.execute(update(Fan).where(Fan.id == row.id).values(**changed))
    return int(row.id), False


def _get_or_add(session: Session, column: str, value: str, place: Place) -> tuple[Fan, bool]:
    fan_id, created = fan_id_for(session, column, value, place)
    fan = session.get(Fan, fan_id, populate_existing=True)
    assert fan is not None
    return fan, created


def by_phone(session: Session, e164: str, place: Place = Place()) -> tuple[Fan, bool]:
    """The fan with this E.164 number, created if new; (fan, created)."""
    return _get_or_add(session, "phone_e164", e164, place)


def by_spotify(session: Session, spotify_user_id: str, place: Place = Place()) -> tuple[Fan, bool]:
    """The fan with this Spotify user id, created if new (web-only fans); (fan, created)."""
    return _get_or_add(session, "spotify_user_id", spotify_user_id, place)
