"""Spotify's catalog with an app token (client credentials): is a release live in a market?

Three lookups, each for one market (or none: "live anywhere"):

- `album_in_market`: `GET /albums/{id}?market=XX`; a 404 means not (yet) available.
- `search_upc`: `GET /search?q=upc:...&type=album&market=XX`.
- `search_isrc`: `GET /search?q=isrc:...&type=track&market=XX`; the album is the track's.

With `market` given Spotify only returns what is playable there (search) or marks what is
not (`is_playable: false` on tracks); without it, objects list `available_markets`, and an
empty list means "nowhere yet". Both are checked. The app token is fetched once per process
and app and reused until spotipy sees it expire; a 401 drops it and fetches a new one once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from core.providers import (
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
    retry_after_seconds,
)
from core.providers.spotify import PROVIDER, TIMEOUT_SECONDS, SpotifyApp, api_client, translate

# Search `limit` is at most 10 for development-mode apps.
SEARCH_LIMIT = 10

_lock = threading.Lock()
_clients: dict[tuple[str, str, str, str], Any] = {}


@dataclass(frozen=True)
class AlbumInfo:
    """An album Spotify shows in the market asked for."""

    id: str
    name: str
    release_date: str | None
    # Listed only when no market was asked for (and not in development mode).
    available_markets: tuple[str, ...] | None


def _client(app: SpotifyApp) -> Any:
    """One spotipy client per app in this process, holding its app token."""
    key = (app.client_id, app.client_secret, app.accounts_base, app.api_base)
    with _lock:
        client = _clients.get(key)
        if client is None:
            manager = SpotifyClientCredentials(
                client_id=app.client_id,
                client_secret=app.client_secret,
                cache_handler=MemoryCacheHandler(),
                requests_timeout=TIMEOUT_SECONDS,
            )
            manager.OAUTH_TOKEN_URL = f"{app.accounts_base}/api/token"
            client = api_client(app, auth_manager=manager)
            _clients[key] = client
        return client


def forget_tokens() -> None:
    """Drop every cached client and app token (tests; a changed secret)."""
    with _lock:
        _clients.clear()


def _token_error(exc: SpotifyOauthError) -> ProviderError:
    """Our exception for a refused or failed client-credentials token request."""
    response = getattr(exc.__context__, "response", None)
    status = getattr(response, "status_code", None)
    if status == 429 and response is not None:
        return RateLimited(PROVIDER, retry_after_seconds(response.headers.get("Retry-After")))
    if isinstance(status, int) and status >= 500:
        return Unavailable(PROVIDER, f"accounts HTTP {status}")
    return Rejected(PROVIDER, f"app token refused: {exc.error or status}")


def _call(app: SpotifyApp, request: Callable[[Any], Any]) -> Any:
    """Run `request(client)`; None for a 404; provider errors translated."""
    for attempt in (1, 2):
        client = _client(app)
        try:
            return request(client)
        except SpotifyException as exc:
            if exc.http_status == 401 and attempt == 1:
                client.auth_manager.cache_handler.save_token_to_cache(None)
                continue
            if exc.http_status == 404:
                return None
            raise translate(exc) from None
        except SpotifyOauthError as exc:
            raise _token_error(exc) from None
        except requests.RequestException as exc:
            raise Unavailable(PROVIDER, type(exc).__name__) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _markets(item: dict[str, Any]) -> tuple[str, ...] | None:
    listed = item.get("available_markets")
    if not isinstance(listed, list):
        return None
    return tuple(str(m).upper() for m in listed)


def _playable(item: dict[str, Any], market: str | None) -> bool:
    """Whether an album or track object says it can be played in `market` (None: anywhere)."""
    listed = _markets(item)
    if listed is not None and (market not in listed if market else not listed):
        return False
    return item.get("is_playable") is not False


def _album_playable(album: dict[str, Any], market: str | None) -> bool:
    """An album is live when it and at least one of its tracks (if listed) are playable."""
    if not _playable(album, market):
        return False
    tracks = album.get("tracks")
    items = tracks.get("items") if isinstance(tracks, dict) else None
    if not items:
        return True
    return any(isinstance(t, dict) and _playable(t, market) for t in items)


def _info(album: dict[str, Any]) -> AlbumInfo | None:
    album_id = album.get("id")
    if not isinstance(album_id, str) or not album_id:
        return None
    date = album.get("release_date")
    return AlbumInfo(
        id=album_id,
        name=str(album.get("name") or ""),
        release_date=date if isinstance(date, str) else None,
        available_markets=_markets(album),
    )


def _items(data: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise Unavailable(PROVIDER, "search answered without a JSON object")
    page = data.get(kind)
    items = page.get("items") if isinstance(page, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def album_in_market(app: SpotifyApp, album_id: str, market: str | None) -> AlbumInfo | None:
    """The album when it is live in `market` (None: in any market), else None."""
    data = _call(app, lambda client: client.album(album_id, market=market))
    if data is None:
        return None
    if not isinstance(data, dict):
        raise Unavailable(PROVIDER, "album answered without a JSON object")
    return _info(data) if _album_playable(data, market) else None


def search_upc(app: SpotifyApp, upc: str, market: str | None) -> AlbumInfo | None:
    """The album with this UPC when it is live in `market`, else None."""
    data = _call(
        app,
        lambda client: client.search(f"upc:{upc}", limit=SEARCH_LIMIT, type="album", market=market),
    )
    for album in _items(data, "albums"):
        if _playable(album, market):
            info = _info(album)
            if info is not None:
                return info
    return None


def search_isrc(app: SpotifyApp, isrc: str, market: str | None) -> AlbumInfo | None:
    """The album of the track with this ISRC when the track is live in `market`, else None."""
    data = _call(
        app,
        lambda client: client.search(
            f"isrc:{isrc}", limit=SEARCH_LIMIT, type="track", market=market
        ),
    )
    for track in _items(data, "tracks"):
        album = track.get("album")
        if isinstance(album, dict) and _playable(track, market) and _playable(album, market):
            info = _info(album)
            if info is not None:
                return info
    return None
