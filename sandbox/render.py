"""Spotify Web API JSON objects (album, track, artist, user, paging) from sandbox data."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.catalog import Album, Track
from sandbox.spotify_store import User

OPEN = "https://open.spotify.com"


def artist(album: Album, api: str) -> dict[str, Any]:
    """A simplified artist object."""
    return {
        "external_urls": {"spotify": f"{OPEN}/artist/{album.artist_id}"},
        "href": f"{api}/artists/{album.artist_id}",
        "id": album.artist_id,
        "name": album.artist_name,
        "type": "artist",
        "uri": f"spotify:artist:{album.artist_id}",
    }


def simple_album(album: Album, api: str, now: datetime, dev_mode: bool) -> dict[str, Any]:
    """A simplified album object (as in search results and inside tracks)."""
    body: dict[str, Any] = {
        "album_type": album.album_type,
        "total_tracks": len(album.tracks),
        "external_urls": {"spotify": f"{OPEN}/album/{album.id}"},
        "href": f"{api}/albums/{album.id}",
        "id": album.id,
        "images": [],
        "name": album.name,
        "release_date": album.release_date,
        "release_date_precision": album.release_date_precision,
        "type": "album",
        "uri": f"spotify:album:{album.id}",
        "artists": [artist(album, api)],
    }
    if not dev_mode:
        body["available_markets"] = album.markets_live(now)
    return body


def simple_track(album: Album, track: Track, api: str) -> dict[str, Any]:
    """A simplified track object (as inside an album)."""
    return {
        "artists": [artist(album, api)],
        "disc_number": 1,
        "duration_ms": track.duration_ms,
        "explicit": False,
        "external_urls": {"spotify": f"{OPEN}/track/{track.id}"},
        "href": f"{api}/tracks/{track.id}",
        "id": track.id,
        "is_local": False,
        "name": track.name,
        "track_number": track.track_number,
        "type": "track",
        "uri": f"spotify:track:{track.id}",
    }


def full_track(album: Album, track: Track, api: str, now: datetime, dev: bool) -> dict[str, Any]:
    """A full track object (as in search results)."""
    body = simple_track(album, track, api)
    body["album"] = simple_album(album, api, now, dev)
    body["external_ids"] = {"isrc": track.isrc}
    if not dev:
        body["popularity"] = 0
        body["available_markets"] = album.markets_live(now)
    return body


def full_album(album: Album, api: str, now: datetime, dev_mode: bool) -> dict[str, Any]:
    """A full album object (GET /albums/{id})."""
    body = simple_album(album, api, now, dev_mode)
    items = [simple_track(album, t, api) for t in album.tracks]
    body["tracks"] = paging(f"{api}/albums/{album.id}/tracks", {}, items, len(items), 50, 0)
    body["copyrights"] = []
    body["external_ids"] = {"upc": album.upc} if album.upc else {}
    body["label"] = album.label
    if not dev_mode:
        body["popularity"] = 0
    return body


def paging(
    href: str, query: dict[str, str], items: list[Any], total: int, limit: int, offset: int
) -> dict[str, Any]:
    """Spotify's paging object around one page of items."""

    def page(at: int) -> str:
        return f"{href}?{urlencode({**query, 'offset': at, 'limit': limit})}"

    more = offset + limit < total
    return {
        "href": page(offset),
        "items": items,
        "limit": limit,
        "next": page(offset + limit) if more else None,
        "offset": offset,
        "previous": page(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }


def me(user: User, api: str, scopes: frozenset[str], dev_mode: bool) -> dict[str, Any]:
    """The current user's profile; private fields need their scope and vanish in dev mode."""
    body: dict[str, Any] = {
        "display_name": user.display_name or user.id,
        "external_urls": {"spotify": f"{OPEN}/user/{user.id}"},
        "href": f"{api}/users/{user.id}",
        "id": user.id,
        "images": [],
        "type": "user",
        "uri": f"spotify:user:{user.id}",
    }
    if dev_mode:
        return body
    body["followers"] = {"href": None, "total": 0}
    if "user-read-private" in scopes:
        body["country"] = user.country
        body["product"] = user.product
        body["explicit_content"] = {"filter_enabled": False, "filter_locked": False}
    if "user-read-email" in scopes:
        body["email"] = user.email or f"{user.id}@sandbox.invalid"
    return body
