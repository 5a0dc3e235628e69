"""The phone simulator's numbers: a few ready ones (US states with their own texting rules,
other countries), or any number typed in E.164 form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from core.quiet_hours import hold_until, zones_of
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
    """A number to pick, where it is from (state for US numbers, else the country), and, at
    a given moment, its local time and until when texts to it are held by quiet hours."""

    number: str
    place: str
    local: str | None = None  # "21:42", the time there
    held_until: str | None = None  # "08:00" there, when texts are held now

    @property
    def label(self) -> str:
        shown = f"{self.place} ({self.number})"
        if self.local is None:
            return shown
        state = f"texts held until {self.held_until}" if self.held_until else "texts go now"
        return f"{shown}: {self.local} there, {state}"


def at_moment(number: str, place: str, now: datetime) -> ReadyNumber:
    """The ready number with its local time at `now` and its quiet-hours hold, if any."""
    country = country_of(number)
    region = state_for(number) if country == "US" else None
    zone = zones_of(number, None)[0]
    held = hold_until(now, number, None, region, country)
    local = now.astimezone(zone).strftime("%H:%M")
    return ReadyNumber(
        number, place, local, held.astimezone(zone).strftime("%H:%M") if held else None
    )


def ready_numbers(now: datetime | None = None) -> list[ReadyNumber]:
    """The numbers offered on the phone page, in the order shown (with `now`: each one's
    local time and whether a text to it would go now or wait for its quiet hours to end)."""
    if now is None:
        return [ReadyNumber(number, place) for number, place in READY]
    return [at_moment(number, place, now) for number, place in READY]


def suggested(ready: list[ReadyNumber]) -> str:
    """The number to preselect: the first one texts can reach now (else the first)."""
    return next((r.number for r in ready if r.held_until is None), ready[0].number)


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
