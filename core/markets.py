"""Spotify markets (ISO 3166-1 alpha-2 countries) and when a release day starts in each."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from core.validation import ValidationError

# A lookup without a market: "live somewhere" (fans whose country we do not know, or none).
ANY = "*"
# Where a release day starts first; "anywhere" can be live from then on.
FIRST_MARKET = "NZ"
MARKET_RE = re.compile(r"[A-Za-z]{2}")

# Where a release day starts: Spotify publishes at 00:00 local time per market. Countries
# with several zones use the one their releases follow (US and CA: Eastern, AU: Sydney,
# BR: Sao Paulo, MX: Mexico City). Markets not listed count as UTC.
MARKET_TIMEZONES: dict[str, str] = {
    # Oceania and Asia
    "NZ": "Pacific/Auckland", "AU": "Australia/Sydney", "FJ": "Pacific/Fiji",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "TW": "Asia/Taipei", "HK": "Asia/Hong_Kong",
    "PH": "Asia/Manila", "SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur",
    "ID": "Asia/Jakarta", "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh",
    "IN": "Asia/Kolkata", "PK": "Asia/Karachi", "BD": "Asia/Dhaka", "LK": "Asia/Colombo",
    "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "QA": "Asia/Qatar", "KW": "Asia/Kuwait",
    "IL": "Asia/Jerusalem", "TR": "Europe/Istanbul", "KZ": "Asia/Almaty",
    # Africa
    "ZA": "Africa/Johannesburg", "NG": "Africa/Lagos", "KE": "Africa/Nairobi",
    "EG": "Africa/Cairo", "MA": "Africa/Casablanca", "GH": "Africa/Accra",
    # Europe
    "GB": "Europe/London", "IE": "Europe/Dublin", "PT": "Europe/Lisbon", "IS": "Atlantic/Reykjavik",
    "DE": "Europe/Berlin", "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "CH": "Europe/Zurich", "AT": "Europe/Vienna", "DK": "Europe/Copenhagen",
    "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SK": "Europe/Bratislava",
    "HU": "Europe/Budapest", "RO": "Europe/Bucharest", "BG": "Europe/Sofia",
    "GR": "Europe/Athens", "HR": "Europe/Zagreb", "SI": "Europe/Ljubljana",
    "RS": "Europe/Belgrade", "EE": "Europe/Tallinn", "LV": "Europe/Riga",
    "LT": "Europe/Vilnius", "UA": "Europe/Kyiv",
    # Americas
    "BR": "America/Sao_Paulo", "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago", "UY": "America/Montevideo", "PY": "America/Asuncion",
    "CO": "America/Bogota", "PE": "America/Lima", "EC": "America/Guayaquil",
    "BO": "America/La_Paz", "VE": "America/Caracas", "MX": "America/Mexico_City",
    "GT": "America/Guatemala", "CR": "America/Costa_Rica", "PA": "America/Panama",
    "DO": "America/Santo_Domingo", "PR": "America/Puerto_Rico", "JM": "America/Jamaica",
    "US": "America/New_York", "CA": "America/Toronto",
}  # fmt: skip


def market_code(value: str | None) -> str:
    """A two-letter market (ISO country) code, upper-cased."""
    raw = (value or "").strip()
    if not MARKET_RE.fullmatch(raw):
        raise ValidationError("market", "a two-letter country code such as US or NZ")
    return raw.upper()


def zone_of(market: str) -> ZoneInfo:
    """The time zone where the market's release day starts (UTC when unknown)."""
    return ZoneInfo(MARKET_TIMEZONES.get(market.upper(), "UTC"))


def local_midnight(market: str, day: date) -> datetime:
    """The UTC instant of 00:00 on `day` in the market's time zone (`*`: the first market's)."""
    zone = zone_of(FIRST_MARKET if market == ANY else market)
    return datetime.combine(day, time(0), zone).astimezone(UTC)
