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


# ISO 3166-1 alpha-2: every officially assigned country code (249).
_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE
BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD
CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK
TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
"""
# Where Spotify is available (its GET /v1/markets): ISO codes, plus XK (Kosovo) as Spotify
# writes it. A release can only go live in one of these.
_SPOTIFY_CODES = """
AD AE AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN
BO BR BS BT BW BY BZ CA CD CG CH CI CL CM CO CR CV CW CY CZ
DE DJ DK DM DO DZ EC EE EG ES ET FI FJ FM FR GA GB GD GE GH
GM GN GQ GR GT GW GY HK HN HR HT HU ID IE IL IN IQ IS IT JM
JO JP KE KG KH KI KM KN KR KW KZ LA LB LC LI LK LR LS LT LU
LV LY MA MC MD ME MG MH MK ML MN MO MR MT MU MV MW MX MY MZ
NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PR PS PT PW
PY QA RO RS RW SA SB SC SE SG SI SK SL SM SN SR ST SV SZ TD
TG TH TJ TL TN TO TR TT TV TW TZ UA UG US UY UZ VC VE VN VU
WS XK ZA ZM ZW
"""
ISO_COUNTRIES = frozenset(_ISO_CODES.split())
SPOTIFY_MARKETS = frozenset(_SPOTIFY_CODES.split())
MARKET_ACCEPTED = "a country code where Spotify is available (ISO 3166-1 alpha-2, e.g. US or NZ)"


def market_code(value: str | None, field: str = "market") -> str:
    """A Spotify market: an ISO 3166-1 alpha-2 country code Spotify sells in, upper-cased."""
    raw = (value or "").strip()
    code = raw.upper()
    if not MARKET_RE.fullmatch(raw):
        raise ValidationError(field, MARKET_ACCEPTED)
    if code not in SPOTIFY_MARKETS and code not in ISO_COUNTRIES:
        raise ValidationError(field, f"{MARKET_ACCEPTED}; {code} is not a country code")
    if code not in SPOTIFY_MARKETS:
        raise ValidationError(field, f"{MARKET_ACCEPTED}; Spotify is not available in {code}")
    return code


def zone_of(market: str) -> ZoneInfo:
    """The time zone where the market's release day starts (UTC when unknown)."""
    return ZoneInfo(MARKET_TIMEZONES.get(market.upper(), "UTC"))


def local_midnight(market: str, day: date) -> datetime:
    """The UTC instant of 00:00 on `day` in the market's time zone (`*`: the first market's)."""
    zone = zone_of(FIRST_MARKET if market == ANY else market)
    return datetime.combine(day, time(0), zone).astimezone(UTC)
