"""The sandbox catalog: albums and tracks that go live per market at given UTC instants."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# Where a release appears at local midnight; other markets use UTC midnight.
MARKET_TIMEZONES = {
    "NZ": "Pacific/Auckland",
    "AU": "Australia/Sydney",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "IN": "Asia/Kolkata",
    "ZA": "Africa/Johannesburg",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam",
    "SE": "Europe/Stockholm",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "US": "America/New_York",
    "CA": "America/Toronto",
}
DEFAULT_MARKETS = tuple(MARKET_TIMEZONES)


def local_midnights(day: date, markets: tuple[str, ...] = DEFAULT_MARKETS) -> dict[str, datetime]:
    """The UTC instant of `day` 00:00 local time in each market."""
    out = {}
    for market in markets:
        zone = ZoneInfo(MARKET_TIMEZONES.get(market, "UTC"))
        out[market] = datetime.combine(day, time(0), zone).astimezone(UTC)
    return out


@dataclass(frozen=True)
class Track:
    """A track of an album."""

    id: str
    name: str
    isrc: str
    track_number: int = 1
    duration_ms: int = 180_000


@dataclass(frozen=True)
class Album:
    """An album; live in market XX from live_at[XX], or from everywhere_at when not listed."""

    id: str
    name: str
    artist_id: str
    artist_name: str
    upc: str = ""
    release_date: str = ""
    release_date_precision: str = "day"
    album_type: str = "album"
    label: str = "Sandbox Records"
    tracks: tuple[Track, ...] = ()
    live_at: dict[str, datetime] = field(default_factory=dict, hash=False)
    everywhere_at: datetime | None = None

    def went_live(self, market: str) -> datetime | None:
        """When the album became (or becomes) visible in that market; None: never."""
        return self.live_at.get(market.upper(), self.everywhere_at)

    def live_in(self, market: str, now: datetime) -> bool:
        """True once the album is visible in that market."""
        instant = self.went_live(market)
        return instant is not None and instant <= now

    def live_anywhere(self, now: datetime) -> bool:
        """True once the album is visible in at least one market."""
        instants = [*self.live_at.values(), self.everywhere_at]
        return any(i is not None and i <= now for i in instants)

    def markets_live(self, now: datetime) -> list[str]:
        """The markets where it is visible now, among those named."""
        named = set(self.live_at) | (set(DEFAULT_MARKETS) if self.everywhere_at else set())
        return sorted(m for m in named if self.live_in(m, now))


class Catalog:
    """Albums by id, UPC and track ISRC."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._albums: dict[str, Album] = {}
        self._by_upc: dict[str, str] = {}
        self._by_isrc: dict[str, tuple[str, int]] = {}

    def put(self, album: Album) -> Album:
        """Add or replace an album."""
        with self._lock:
            self._albums[album.id] = album
            if album.upc:
                self._by_upc[album.upc] = album.id
            for index, track in enumerate(album.tracks):
                self._by_isrc[track.isrc.upper()] = (album.id, index)
        return album

    def album(self, album_id: str) -> Album | None:
        """The album with that id."""
        return self._albums.get(album_id)

    def by_upc(self, upc: str) -> Album | None:
        """The album with that UPC (leading zeros matter, as on Spotify)."""
        album_id = self._by_upc.get(upc)
        return self._albums.get(album_id) if album_id else None

    def by_isrc(self, isrc: str) -> tuple[Album, Track] | None:
        """The album and track with that ISRC."""
        found = self._by_isrc.get(isrc.upper())
        if found is None:
            return None
        album = self._albums[found[0]]
        return album, album.tracks[found[1]]

    def by_track_id(self, track_id: str) -> tuple[Album, Track] | None:
        """The album and track with that track id."""
        with self._lock:
            albums = list(self._albums.values())
        for album in albums:
            for track in album.tracks:
                if track.id == track_id:
                    return album, track
        return None

    def matching(self, words: str) -> list[Album]:
        """Albums whose name or artist contains every word (case-insensitive)."""
        terms = words.lower().split()
        with self._lock:
            albums = list(self._albums.values())
        return [a for a in albums if all(t in f"{a.name} {a.artist_name}".lower() for t in terms)]

    def __len__(self) -> int:
        return len(self._albums)
