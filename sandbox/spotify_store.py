"""Spotify accounts and users in memory: clients, codes, grants, tokens, libraries, follows."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sandbox.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id() -> str:
    """A 22-character base62 id, like Spotify's."""
    return "".join(secrets.choice(BASE62) for _ in range(22))


def is_spotify_id(value: str) -> bool:
    """True for a 22-character base62 id."""
    return len(value) == 22 and all(c in BASE62 for c in value)


@dataclass
class User:
    """A Spotify account the sandbox knows."""

    id: str
    country: str = "US"
    product: str = "premium"
    display_name: str = ""
    email: str = ""
    allowlisted: bool = True
    # Put off the allow-list on the consent page: 403s as in development mode, whatever
    # the dev_mode knob says.
    outsider: bool = False


@dataclass(frozen=True)
class Client:
    """A registered Spotify app; no redirect URIs means any valid one is accepted."""

    id: str
    secret: str
    redirect_uris: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuthCode:
    """A one-time authorization code."""

    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: datetime
    code_challenge: str | None = None


@dataclass(frozen=True)
class Grant:
    """A refresh token: valid until authorized_at + the refresh TTL, or revoked."""

    refresh_token: str
    client_id: str
    user_id: str
    scopes: frozenset[str]
    authorized_at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class AccessToken:
    """A bearer token; user_id is None for client-credentials tokens."""

    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: datetime


@dataclass
class Library:
    """What one user saved (URI -> when) and follows (artist id -> when)."""

    saved: dict[str, datetime] = field(default_factory=dict)
    follows: dict[str, datetime] = field(default_factory=dict)


class SpotifyStore:
    """All Spotify accounts state, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.users: dict[str, User] = {}
        self.clients = {SANDBOX_CLIENT_ID: Client(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)}
        self._codes: dict[str, AuthCode] = {}
        self._grants: dict[str, Grant] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._libraries: dict[str, Library] = {}

    def put_user(self, user: User) -> User:
        """Create or replace a user."""
        with self._lock:
            self.users[user.id] = user
            return user

    def user(self, user_id: str) -> User | None:
        """The user with that id, if any."""
        return self.users.get(user_id)

    def put_client(self, client: Client) -> None:
        """Register (or replace) an app."""
        with self._lock:
            self.clients[client.id] = client

    def client(self, client_id: str, secret: str | None, accept_any: bool) -> Client | str:
        """The app for these credentials (secret None: PKCE), or why not."""
        with self._lock:
            known = self.clients.get(client_id)
            if known is None:
                if not accept_any or not client_id:
                    return "Invalid client"
                known = self.clients[client_id] = Client(client_id, secret or "")
        if secret is not None and not secrets.compare_digest(known.secret, secret):
            return "Invalid client secret"
        return known

    def issue_code(self, code: AuthCode) -> str:
        """Store a code built by the authorize step."""
        with self._lock:
            self._codes[code.code] = code
        return code.code

    def peek_code(self, code: str) -> AuthCode | None:
        """The code's data without using it up."""
        return self._codes.get(code)

    def take_code(self, code: str) -> AuthCode | None:
        """The code's data, once: a second exchange finds nothing."""
        with self._lock:
            return self._codes.pop(code, None)

    def issue_grant(
        self, client_id: str, user_id: str, scopes: frozenset[str], authorized_at: datetime
    ) -> Grant:
        """A new refresh token."""
        grant = Grant("AQ" + secrets.token_urlsafe(48), client_id, user_id, scopes, authorized_at)
        with self._lock:
            self._grants[grant.refresh_token] = grant
        return grant

    def grant(self, refresh_token: str) -> Grant | None:
        """The grant behind a refresh token, if it was ever issued."""
        return self._grants.get(refresh_token)

    def revoke(self, user_id: str) -> int:
        """Revoke every grant of a user (they removed the app); returns how many."""
        with self._lock:
            mine = [g for g in self._grants.values() if g.user_id == user_id and not g.revoked]
            for grant in mine:
                self._grants[grant.refresh_token] = replace(grant, revoked=True)
            doomed = [t for t, a in self._tokens.items() if a.user_id == user_id]
            for token in doomed:
                del self._tokens[token]
            return len(mine)

    def issue_access(
        self, client_id: str, user_id: str | None, scopes: frozenset[str], expires_at: datetime
    ) -> AccessToken:
        """A new bearer token."""
        access = AccessToken(
            "BQ" + secrets.token_urlsafe(48), client_id, user_id, scopes, expires_at
        )
        with self._lock:
            self._tokens[access.token] = access
        return access

    def access(self, token: str) -> AccessToken | None:
        """The bearer token's data, if it was ever issued."""
        return self._tokens.get(token)

    def save(self, user_id: str, uris: list[str], now: datetime) -> None:
        """Add URIs to the library (artist URIs become follows)."""
        with self._lock:
            library = self._libraries.setdefault(user_id, Library())
            for uri in uris:
                kind, _, item = uri.removeprefix("spotify:").partition(":")
                if kind == "artist":
                    library.follows.setdefault(item, now)
                else:
                    library.saved.setdefault(uri, now)

    def follow(self, user_id: str, artist_ids: list[str], now: datetime) -> None:
        """Follow artists."""
        self.save(user_id, [f"spotify:artist:{a}" for a in artist_ids], now)

    def contains(self, user_id: str, uris: list[str]) -> list[bool]:
        """For each URI, whether it is saved (or, for artists, followed)."""
        with self._lock:
            library = self._libraries.get(user_id, Library())
            out = []
            for uri in uris:
                kind, _, item = uri.removeprefix("spotify:").partition(":")
                out.append(item in library.follows if kind == "artist" else uri in library.saved)
            return out

    def library(self, user_id: str) -> Library:
        """A copy of the user's library."""
        with self._lock:
            library = self._libraries.get(user_id, Library())
            return Library(dict(library.saved), dict(library.follows))

    def counts(self) -> dict[str, int]:
        """How many of each thing are stored."""
        with self._lock:
            return {
                "users": len(self.users),
                "grants": len(self._grants),
                "access_tokens": len(self._tokens),
                "saved": sum(len(lib.saved) for lib in self._libraries.values()),
                "follows": sum(len(lib.follows) for lib in self._libraries.values()),
            }


def expiry(now: datetime, seconds: int) -> datetime:
    """now + seconds."""
    return now + timedelta(seconds=seconds)
