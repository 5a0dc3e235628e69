"""Spotify Web API stand-in under /v1: profile, library, follows, albums, search."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from sandbox import render
from sandbox.catalog import Album
from sandbox.http import DEV_MODE_MESSAGE, bearer_token, csv_param, forced, spotify_error
from sandbox.search import run_search
from sandbox.spotify_store import AccessToken, User, is_spotify_id
from sandbox.state import ARRIVED, SandboxState

MAX_LIBRARY_URIS = 40
URI_KINDS = {
    "album": "user-library",
    "track": "user-library",
    "episode": "user-library",
    "show": "user-library",
    "audiobook": "user-library",
    "artist": "user-follow",
    "user": "user-follow",
    "playlist": "playlist",
}


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token, and its user unless it is an app token."""

    access: AccessToken
    user: User | None


class WebApi:
    """The api.spotify.com/v1 stand-in."""

    service = "spotify"
    routes = (
        ("/v1/me", "me", ("GET",)),
        ("/v1/me/library", "library_save", ("PUT",)),
        ("/v1/me/library/contains", "library_contains", ("GET",)),
        ("/v1/me/following", "follow", ("PUT",)),
        ("/v1/me/albums", "albums_save", ("PUT",)),
        ("/v1/albums/<album_id>", "album", ("GET",)),
        ("/v1/search", "search", ("GET",)),
    )

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def gate(self, request: Request, endpoint: str) -> Caller | Response:
        """Rate cap, bearer token, dev-mode allow-list and forced faults, in that order."""
        config = self.state.config
        token = bearer_token(request)
        access = self.state.spotify.access(token) if token else None
        if config.spotify_rps:
            key = access.client_id if access else "-"
            arrived = request.environ.get(ARRIVED)
            wait = self.state.limiter.admit(key, config.spotify_rps, config.rate_window_s, arrived)
            if wait is not None:
                self.state.stats.rate_limited(self.service)
                retry = str(max(config.retry_after_s, math.ceil(wait)))
                return spotify_error(429, "API rate limit exceeded", {"Retry-After": retry})
        if token is None:
            return spotify_error(401, "No token provided")
        if access is None:
            return spotify_error(401, "Invalid access token")
        if access.expires_at <= self.state.clock.now():
            return spotify_error(401, "The access token expired")
        user = self.state.spotify.user(access.user_id) if access.user_id else None
        if user is not None and not user.allowlisted and (config.dev_mode or user.outsider):
            return spotify_error(403, DEV_MODE_MESSAGE)
        return forced(self.state, self.service, endpoint, access.user_id) or Caller(access, user)

    def user_gate(self, request: Request, endpoint: str, scope: str | None) -> Caller | Response:
        """gate() plus: a user token, holding `scope` when given."""
        caller = self.gate(request, endpoint)
        if isinstance(caller, Response):
            return caller
        if caller.user is None:
            return spotify_error(401, "Valid user authentication required")
        if scope and self.state.config.enforce_scopes and scope not in caller.access.scopes:
            return spotify_error(403, "Insufficient client scope")
        return caller

    def api_base(self, request: Request) -> str:
        """This server's /v1 URL, for hrefs."""
        return request.host_url.rstrip("/") + "/v1"

    def on_me(self, request: Request) -> Response:
        """GET /me."""
        caller = self.user_gate(request, "me", None)
        if isinstance(caller, Response):
            return caller
        assert caller.user is not None
        body = render.me(
            caller.user, self.api_base(request), caller.access.scopes, self.state.config.dev_mode
        )
        return Response(json.dumps(body), content_type="application/json")

    def _uris(self, request: Request, write: bool) -> list[str] | Response:
        """The `uris` parameter, checked like Spotify: at most 40 well-formed URIs."""
        uris = csv_param(request, "uris")
        if not uris:
            return spotify_error(400, "Missing required parameter: uris")
        if len(uris) > MAX_LIBRARY_URIS:
            return spotify_error(400, "Too many ids requested")
        for uri in uris:
            parts = uri.split(":")
            if len(parts) != 3 or parts[0] != "spotify" or parts[1] not in URI_KINDS:
                return spotify_error(400, f"Unsupported URI: {uri}")
            if parts[1] != "user" and not is_spotify_id(parts[2]):
                return spotify_error(400, "Invalid base62 id")
            if parts[1] == "artist" and write and not self.state.config.library_accepts_artists:
                return spotify_error(400, f"Unsupported URI: {uri}")
        return uris

    def _scope_denied(self, caller: Caller, uris: list[str], suffix: str) -> Response | None:
        """A 403 unless the token holds every scope the URIs need (user-library-*, ...)."""
        playlist = "playlist-modify-public" if suffix == "modify" else "playlist-read-private"
        needed = {
            playlist if base == "playlist" else f"{base}-{suffix}"
            for base in (URI_KINDS[uri.split(":")[1]] for uri in uris)
        }
        if self.state.config.enforce_scopes and not needed <= caller.access.scopes:
            return spotify_error(403, "Insufficient client scope")
        return None

    def on_library_save(self, request: Request) -> Response:
        """PUT /me/library?uris=: save albums/tracks, follow artists; 200 with an empty body."""
        caller = self.user_gate(request, "library_save", None)
        if isinstance(caller, Response):
            return caller
        uris = self._uris(request, write=True)
        if isinstance(uris, Response):
            return uris
        denied = self._scope_denied(caller, uris, "modify")
        if denied is not None:
            return denied
        assert caller.user is not None
        self._save(caller.user, uris)
        return Response(b"", 200)

    def _save(self, user: User, uris: list[str]) -> None:
        """Store the saves, counting any made before the item is live in the user's market."""
        now = self.state.clock.now()
        for uri in uris:
            album = self._album_of(uri)
            if album is not None and not album.live_in(user.country, now):
                self.state.stats.bump("saves_before_release")
        self.state.spotify.save(user.id, uris, now)

    def _album_of(self, uri: str) -> Album | None:
        """The catalog album an album or track URI points at."""
        _, kind, item = uri.split(":")
        if kind == "album":
            return self.state.catalog.album(item)
        if kind == "track":
            found = self.state.catalog.by_track_id(item)
            return found[0] if found else None
        return None

    def on_library_contains(self, request: Request) -> Response:
        """GET /me/library/contains?uris=: a JSON array of booleans."""
        caller = self.user_gate(request, "library_contains", None)
        if isinstance(caller, Response):
            return caller
        uris = self._uris(request, write=False)
        if isinstance(uris, Response):
            return uris
        denied = self._scope_denied(caller, uris, "read")
        if denied is not None:
            return denied
        assert caller.user is not None
        found = self.state.spotify.contains(caller.user.id, uris)
        return Response(json.dumps(found), content_type="application/json")

    def _ids(self, request: Request, most: int) -> list[str] | Response:
        """The `ids` parameter (or JSON body), at most `most` base62 ids."""
        ids = csv_param(request, "ids")
        if not ids and request.data:
            try:
                ids = [str(i) for i in json.loads(request.data).get("ids", [])]
            except (ValueError, AttributeError):
                return spotify_error(400, "Error parsing JSON.")
        if not ids:
            return spotify_error(400, "Missing required parameter: ids")
        if len(ids) > most:
            return spotify_error(400, "Too many ids requested")
        if not all(is_spotify_id(i) for i in ids):
            return spotify_error(400, "Invalid base62 id")
        return ids

    def _deprecated(self, request: Request, endpoint: str, scope: str) -> Caller | Response:
        """Gate of an endpoint removed for development-mode apps (403 there)."""
        caller = self.user_gate(request, endpoint, None)
        if isinstance(caller, Response):
            return caller
        if self.state.config.dev_mode:
            return spotify_error(403, "Forbidden")
        if self.state.config.enforce_scopes and scope not in caller.access.scopes:
            return spotify_error(403, "Insufficient client scope")
        return caller

    def on_follow(self, request: Request) -> Response:
        """PUT /me/following?type=artist&ids= (deprecated): 204."""
        caller = self._deprecated(request, "follow", "user-follow-modify")
        if isinstance(caller, Response):
            return caller
        if request.args.get("type") not in ("artist", "user"):
            return spotify_error(400, "type must be artist or user")
        ids = self._ids(request, 50)
        if isinstance(ids, Response):
            return ids
        assert caller.user is not None
        if request.args["type"] == "artist":
            self.state.spotify.follow(caller.user.id, ids, self.state.clock.now())
        return Response(status=204)

    def on_albums_save(self, request: Request) -> Response:
        """PUT /me/albums?ids= (deprecated): 200 with an empty body."""
        caller = self._deprecated(request, "albums_save", "user-library-modify")
        if isinstance(caller, Response):
            return caller
        ids = self._ids(request, 20)
        if isinstance(ids, Response):
            return ids
        assert caller.user is not None
        self._save(caller.user, [f"spotify:album:{i}" for i in ids])
        return Response(b"", 200)

    def market(self, request: Request, caller: Caller) -> str | Response | None:
        """The market asked for (from_token or absent: the user's country), or a 400."""
        market = request.args.get("market", "from_token" if caller.user else "")
        if market == "from_token":
            return caller.user.country if caller.user else None
        if not market:
            return None
        if len(market) != 2 or not market.isalpha():
            return spotify_error(400, "Invalid market code")
        return market.upper()

    def on_album(self, request: Request, album_id: str) -> Response:
        """GET /albums/{id}?market=: 404 until it is live in that market."""
        caller = self.gate(request, "album")
        if isinstance(caller, Response):
            return caller
        if not is_spotify_id(album_id):
            return spotify_error(400, "Invalid base62 id")
        market = self.market(request, caller)
        if isinstance(market, Response):
            return market
        album = self.state.catalog.album(album_id)
        now = self.state.clock.now()
        visible = album is not None and (
            album.live_in(market, now) if market else album.live_anywhere(now)
        )
        if album is None or not visible:
            return spotify_error(404, "Resource not found")
        dev = self.state.config.dev_mode
        body = render.full_album(album, self.api_base(request), now, dev)
        return Response(json.dumps(body), content_type="application/json")

    def on_search(self, request: Request) -> Response:
        """GET /search?q=upc:...|isrc:...&type=album|track&market=&limit=&offset=."""
        caller = self.gate(request, "search")
        if isinstance(caller, Response):
            return caller
        market = self.market(request, caller)
        if isinstance(market, Response):
            return market
        return run_search(self.state, request, market, self.api_base(request))
