"""The phone simulator's numbers: a few ready ones (US states with their own texting rules,
other countries), or any number typed in E.164 form."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from core.services.phone_place import country_of
from core.services.us_states import state_for
from core.validation import ValidationError

# Valid mobile numbers (phonenumbers says so; a test checks it), none a real person's line:
# the US ones use the 555-01xx range set aside for fiction.
READY: tuple[tuple[str, str], ...] = (
    ("+12125550101", "New York"),
    ("+15125550102", "Texas"),
    ("+13055550103", "Florida"),
    ("+14155550104", "California"),
    ("+14105550105", "Maryland"),
    ("+447911123456", "United Kingdom"),
    ("+4915112345678", "Germany"),
    ("+14165550106", "Canada"),
    ("+61412345678", "Australia"),
)


@dataclass(frozen=True)
class ReadyNumber:
    """A number to pick, and where it is from (state for US numbers, else the country)."""

    number: str
    place: str

    @property
    def label(self) -> str:
        return f"{self.place} ({self.number})"


def ready_numbers() -> list[ReadyNumber]:
    """The numbers offered on the phone page, in the order shown."""
    return [ReadyNumber(number, place) for number, place in READY]


def place_of_number(number: str) -> str:
    """Where `number` is from: a ready number's place, else "NY, US" or the country code."""
    for ready, place in READY:
        if ready == number:
            return place
    country = country_of(number)
    state = state_for(number) if country == "US" else None
    if state:
        return f"{state}, US"
    return country or "unknown country"


def checked_number(raw: str | None) -> str:
    """`raw` as an E.164 number, or ValidationError naming the `number` field."""
    typed = (raw or "").strip()
    accepted = "a phone number in E.164 form, with + and the country code (e.g. +14155550101)"
    if not typed:
        raise ValidationError("number", f"required: {accepted}")
    if not typed.startswith("+") or len(typed) > 20:
        raise ValidationError("number", accepted)
    try:
        parsed = phonenumbers.parse(typed, None)
    except phonenumbers.NumberParseException:
        raise ValidationError("number", accepted) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("number", f"{typed[:20]} is not a valid number; {accepted}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
