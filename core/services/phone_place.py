"""Where an SMS fan is, as far as their number tells: what Twilio said, completed."""

from __future__ import annotations

import phonenumbers

from core.services.fans import Place
from core.services.us_states import state_for


def country_of(number: str) -> str | None:
    """The country (ISO 3166 alpha-2) an E.164 number belongs to; None if unknown."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None
    return region if region and len(region) == 2 and region != "ZZ" else None


def place_of(number: str, given: Place | None = None) -> Place:
    """`given` (Twilio's FromCountry / FromState / FromCity), with the country taken from
    the number when Twilio gave none, and a US number's state from its area code."""
    given = given or Place()
    country = given.country or country_of(number)
    region = given.region
    if region is None and country == "US":
        region = state_for(number)
    return Place(country=country, region=region, city=given.city)
