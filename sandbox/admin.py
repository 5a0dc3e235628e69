"""The /_sandbox admin JSON API: knobs, users, grants, albums, faults, clock, stats, reset."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.catalog import Album, Track, local_midnights
from sandbox.config import ConfigError
from sandbox.discord_demo import seed_demo
from sandbox.http import json_response
from sandbox.seed import create_users
from sandbox.spotify_store import AuthCode, Client, expiry, new_id
from sandbox.state import FaultRule, SandboxState


class AdminError(ValueError):
    """A malformed admin request; answered with 400."""


def instant(value: object, name: str) -> datetime:
    """An aware datetime from ISO 8601 text."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise AdminError(f"{name} must be an ISO 8601 instant") from exc
    if parsed.tzinfo is None:
        raise AdminError(f"{name} must carry a UTC offset")
    return parsed


def body_of(request: Request) -> dict[str, Any]:
    """The JSON object posted (empty when no body)."""
    if not request.data:
        return {}
    try:
        data = json.loads(request.data)
    except ValueError as exc:
        raise AdminError("body must be JSON") from exc
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


class Admin:
    """Test and benchmark control of the sandbox; never part of a provider's API."""

    service = "admin"
    routes: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("/_sandbox/stats", "stats", ("GET",)),
        ("/_sandbox/config", "config", ("GET", "POST")),
        ("/_sandbox/reset", "reset", ("POST",)),
        ("/_sandbox/users", "users", ("POST",)),
        ("/_sandbox/users/<user_id>", "user", ("GET",)),
        ("/_sandbox/users/<user_id>/revoke", "revoke", ("POST",)),
        ("/_sandbox/clients", "clients", ("POST",)),
        ("/_sandbox/codes", "codes", ("POST",)),
        ("/_sandbox/albums", "albums", ("POST",)),
        ("/_sandbox/albums/<album_id>/live", "album_live", ("POST",)),
        ("/_sandbox/faults", "faults", ("GET", "POST", "DELETE")),
        ("/_sandbox/clock", "clock", ("GET", "POST")),
        ("/_sandbox/messages", "messages", ("GET",)),
        ("/_sandbox/arrivals/<service>", "arrivals", ("GET",)),
    )

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def dispatch(self, endpoint: str, request: Request, args: Mapping[str, Any]) -> Response:
        """Call on_<endpoint>, turning bad input into 400s."""
        try:
            result: Any = getattr(self, f"on_{endpoint}")(request, **args)
        except (AdminError, ConfigError, ValueError, TypeError, KeyError) as exc:
            return json_response({"error": str(exc)}, 400)
        return result if isinstance(result, Response) else json_response(result)

    def on_stats(self, request: Request) -> dict[str, Any]:
        """Request counters, 429s, events and stored counts (Discord: also the invalid
        requests of the last 10 minutes, the ban and its 429 counters)."""
        out = self.state.stats.snapshot()
        out["discord"] |= self.state.discord.counters()
        out["stored"] = {
            **self.state.spotify.counts(),
            "albums": len(self.state.catalog),
            "messages": len(self.state.twilio),
            "discord_messages": self.state.discord.stored(),
        }
        return out

    def on_config(self, request: Request) -> dict[str, Any]:
        """Read, or change some knobs of, the running sandbox."""
        if request.method == "POST":
            self.state.config = self.state.config.changed(body_of(request))
        return self.state.config.as_dict()

    def on_reset(self, request: Request) -> dict[str, Any]:
        """Forget everything and restore the knobs the sandbox started with."""
        self.state.reset()
        seed_demo(self.state)  # the demo Discord server is there from the start
        return {"reset": True}

    def on_users(self, request: Request) -> dict[str, Any]:
        """Create users (a list, or `count` generated ones) and optionally grants for them."""
        return create_users(self.state, body_of(request))

    def on_user(self, request: Request, user_id: str) -> Response | dict[str, Any]:
        """A user with their saved URIs and followed artists."""
        user = self.state.spotify.user(user_id)
        if user is None:
            return json_response({"error": "no such user"}, 404)
        library = self.state.spotify.library(user_id)
        return {
            **asdict(user),
            "saved": {uri: at.isoformat() for uri, at in library.saved.items()},
            "follows": {a: at.isoformat() for a, at in library.follows.items()},
        }

    def on_revoke(self, request: Request, user_id: str) -> dict[str, Any]:
        """The user removes the app: every grant answers invalid_grant from now on."""
        return {"revoked": self.state.spotify.revoke(user_id)}

    def on_clients(self, request: Request) -> dict[str, Any]:
        """Register an app with its secret and (optionally) its allowed redirect URIs."""
        data = body_of(request)
        uris = frozenset(str(u) for u in data.get("redirect_uris", []))
        self.state.spotify.put_client(
            Client(str(data["client_id"]), str(data["client_secret"]), uris)
        )
        return {"client_id": data["client_id"]}

    def on_codes(self, request: Request) -> dict[str, Any]:
        """An authorization code for a user, as if they had clicked Approve."""
        data = body_of(request)
        user_id = str(data["user_id"])
        if self.state.spotify.user(user_id) is None:
            raise AdminError("no such user")
        now = self.state.clock.now()
        code = AuthCode(
            code="AQ" + new_id() + new_id(),
            client_id=str(data.get("client_id", "sandbox-client-id")),
            user_id=user_id,
            redirect_uri=str(data["redirect_uri"]),
            scopes=frozenset(str(data.get("scope", "")).split()),
            expires_at=expiry(now, self.state.config.code_ttl_s),
            code_challenge=data.get("code_challenge"),
        )
        return {"code": self.state.spotify.issue_code(code)}

    def on_albums(self, request: Request) -> dict[str, Any]:
        """Add an album; see README for live_at / everywhere_at / release_date semantics."""
        data = body_of(request)
        live_at = {
            str(m).upper(): instant(v, f"live_at.{m}") for m, v in data.get("live_at", {}).items()
        }
        release_date = str(data.get("release_date", ""))
        if data.get("local_midnight"):
            markets = tuple(str(m).upper() for m in data.get("markets", [])) or None
            day = date.fromisoformat(release_date)
            midnights = local_midnights(day, markets) if markets else local_midnights(day)
            live_at = {**midnights, **live_at}
        everywhere = data.get("everywhere_at")
        tracks = tuple(
            Track(
                id=str(t.get("id") or new_id()),
                name=str(t.get("name", f"Track {n}")),
                isrc=str(t["isrc"]),
                track_number=n,
            )
            for n, t in enumerate(data.get("tracks", []), start=1)
        )
        album = self.state.catalog.put(
            Album(
                id=str(data.get("id") or new_id()),
                name=str(data.get("name", "Sandbox Album")),
                artist_id=str(data.get("artist_id") or new_id()),
                artist_name=str(data.get("artist_name", "Sandbox Artist")),
                upc=str(data.get("upc", "")),
                release_date=release_date,
                release_date_precision=str(data.get("release_date_precision", "day")),
                album_type=str(data.get("album_type", "album" if len(tracks) > 1 else "single")),
                tracks=tracks,
                live_at=live_at,
                everywhere_at=instant(everywhere, "everywhere_at") if everywhere else None,
            )
        )
        return {
            "id": album.id,
            "artist_id": album.artist_id,
            "tracks": [{"id": t.id, "isrc": t.isrc} for t in album.tracks],
            "live_at": {m: at.isoformat() for m, at in album.live_at.items()},
        }

    def on_album_live(self, request: Request, album_id: str) -> Response | dict[str, Any]:
        """Make an album live now in one market ({"market": "US"}); earlier stays earlier."""
        album = self.state.catalog.album(album_id)
        if album is None:
            return json_response({"error": "no such album"}, 404)
        market = str(body_of(request).get("market", "")).upper()
        if len(market) != 2 or not market.isalpha():
            raise AdminError("market must be a two-letter country code")
        now = self.state.clock.now()
        if not album.live_in(market, now):
            album = self.state.catalog.put(replace(album, live_at={**album.live_at, market: now}))
        live_at = album.went_live(market)
        return {"id": album.id, "market": market, "live_at": live_at and live_at.isoformat()}

    def on_faults(self, request: Request) -> dict[str, Any]:
        """Add (POST), list (GET) or clear (DELETE) forced failures."""
        if request.method == "POST":
            self.state.faults.add(FaultRule(**body_of(request)))
        elif request.method == "DELETE":
            self.state.faults.clear()
        return {"faults": self.state.faults.list()}

    def on_clock(self, request: Request) -> dict[str, Any]:
        """Read or move the sandbox clock: {"advance_s": n} or {"now": iso}."""
        data = body_of(request) if request.method == "POST" else {}
        if "now" in data:
            self.state.clock.set(instant(data["now"], "now"))
        elif "advance_s" in data:
            self.state.clock.advance(float(data["advance_s"]))
        return {"now": self.state.clock.now().isoformat()}

    def on_arrivals(self, request: Request, service: str) -> dict[str, Any]:
        """When a service's requests arrived (twilio: message sends; discord: every request):
        how many, over what span, and the most within any one second."""
        return self.state.arrivals.summary(service)

    def on_messages(self, request: Request) -> dict[str, Any]:
        """Every message sent through the sandbox (all accounts), newest first."""
        found = self.state.twilio.messages(to=request.args.get("To"))
        return {"messages": [m.as_json() for m in found]}
