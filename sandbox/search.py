"""GET /v1/search over the sandbox catalog: upc:, isrc:, artist:, album: and plain words."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox import render
from sandbox.catalog import Album, Catalog, Track
from sandbox.http import csv_param, json_response, spotify_error
from sandbox.state import SandboxState

SEARCH_TYPES = frozenset({"album", "artist", "playlist", "track", "show", "episode", "audiobook"})
FILTER = re.compile(r'(\w+):("[^"]*"|\S+)')
MAX_OFFSET = 1000


def parse_query(q: str) -> tuple[dict[str, str], str]:
    """Field filters (upc:, isrc:, ...) and the remaining free words."""
    filters = {m.group(1).lower(): m.group(2).strip('"') for m in FILTER.finditer(q)}
    return filters, FILTER.sub(" ", q).strip()


def _int(request: Request, name: str, default: int) -> int | None:
    """An integer query parameter, None when malformed."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def find(
    kind: str, filters: dict[str, str], words: str, catalog: Catalog
) -> list[tuple[Album, Track | None]]:
    """What a search of one type finds, before market filtering."""
    names = " ".join([words, filters.get("album", ""), filters.get("artist", "")]).strip()
    if kind == "album":
        if "isrc" in filters:
            return []
        if "upc" in filters:
            album = catalog.by_upc(filters["upc"])
            return [(album, None)] if album else []
        return [(album, None) for album in catalog.matching(names)] if names else []
    if kind == "track":
        if "upc" in filters:
            return []
        if "isrc" in filters:
            found = catalog.by_isrc(filters["isrc"])
            return [found] if found else []
        if not names:
            return []
        return [(album, track) for album in catalog.matching(names) for track in album.tracks]
    return []


def run_search(state: SandboxState, request: Request, market: str | None, api: str) -> Response:
    """Answer a search with Spotify's paging objects; dev mode caps limit at 10."""
    q = request.args.get("q", "").strip()
    if not q:
        return spotify_error(400, "No search query")
    types = csv_param(request, "type")
    if not types:
        return spotify_error(400, "Missing parameter type")
    if not set(types) <= SEARCH_TYPES:
        return spotify_error(400, "Bad search type field")
    dev = state.config.dev_mode
    limit = _int(request, "limit", 5 if dev else 20)
    if limit is None or not 0 <= limit <= (10 if dev else 50):
        return spotify_error(400, "Invalid limit")
    offset = _int(request, "offset", 0)
    if offset is None or not 0 <= offset <= MAX_OFFSET:
        return spotify_error(400, "Invalid offset")
    now = state.clock.now()

    def visible(album: Album) -> bool:
        return album.live_in(market, now) if market else album.live_anywhere(now)

    filters, words = parse_query(q)
    body: dict[str, Any] = {}
    for kind in types:
        found = [hit for hit in find(kind, filters, words, state.catalog) if visible(hit[0])]
        page = found[offset : offset + limit]
        items = [_item(album, track, api, now, dev) for album, track in page]
        query = {"query": q, "type": kind, **({"market": market} if market else {})}
        body[kind + "s"] = render.paging(f"{api}/search", query, items, len(found), limit, offset)
    return json_response(body)


def _item(album: Album, track: Track | None, api: str, now: datetime, dev: bool) -> dict[str, Any]:
    """One search result: a simplified album or a full track."""
    if track is None:
        return render.simple_album(album, api, now, dev)
    return render.full_track(album, track, api, now, dev)
