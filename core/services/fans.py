"""Find or create fans by the identity a channel gives us."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import Fan


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


def _update_place(fan: Fan, place: Place) -> None:
    if place.country and len(place.country.strip()) == 2:
        fan.country = place.country.strip().upper()
    if place.region:
        fan.region = place.region[:64]
    if place.city:
        fan.city = place.city[:64]


def _get_or_add(session: Session, column: str, value: str, place: Place) -> tuple[Fan, bool]:
    attribute = getattr(Fan, column)
    fan = session.scalar(select(Fan).where(attribute == value))
    created = False
    if fan is None:
        try:
            with session.begin_nested():
                fan = Fan(**{column: value})
                session.add(fan)
                session.flush()
            created = True
        except IntegrityError:  # a concurrent request created it first
            fan = session.scalar(select(Fan).where(attribute == value))
            assert fan is not None
    _update_place(fan, place)
    return fan, created


def by_phone(session: Session, e164: str, place: Place = Place()) -> tuple[Fan, bool]:
    """The fan with this E.164 number, created if new; (fan, created)."""
    return _get_or_add(session, "phone_e164", e164, place)


def by_discord(session: Session, user_id: str, place: Place = Place()) -> tuple[Fan, bool]:
    """The fan with this Discord user id, created if new; (fan, created)."""
    return _get_or_add(session, "discord_user_id", user_id, place)


def by_spotify(session: Session, spotify_user_id: str, place: Place = Place()) -> tuple[Fan, bool]:
    """The fan with this Spotify user id, created if new (web-only fans); (fan, created)."""
    return _get_or_add(session, "spotify_user_id", spotify_user_id, place)
