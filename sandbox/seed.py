"""Bulk creation of sandbox users and their grants (for tests and benchmarks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.config import SANDBOX_CLIENT_ID
from sandbox.spotify_store import User, expiry
from sandbox.state import SandboxState

DEFAULT_SCOPE = "user-library-modify user-library-read user-follow-modify user-read-private"


def _user(item: dict[str, Any], defaults: dict[str, Any], index: int) -> User:
    """A User from one JSON item, falling back to the request's defaults."""
    merged = {**defaults, **item}
    return User(
        id=str(merged.get("id") or f"{merged.get('id_prefix', 'fan')}-{index}"),
        country=str(merged.get("country", "US")).upper(),
        product=str(merged.get("product", "premium")),
        display_name=str(merged.get("display_name", "")),
        email=str(merged.get("email", "")),
        allowlisted=bool(merged.get("allowlisted", True)),
    )


def grant_for(
    state: SandboxState,
    user_id: str,
    client_id: str = SANDBOX_CLIENT_ID,
    scope: str = DEFAULT_SCOPE,
    authorized_at: datetime | None = None,
) -> dict[str, Any]:
    """A refresh token plus a fresh access token for a user, as after the OAuth dance."""
    now = state.clock.now()
    scopes = frozenset(scope.split())
    grant = state.spotify.issue_grant(client_id, user_id, scopes, authorized_at or now)
    ttl = state.config.access_token_ttl_s
    access = state.spotify.issue_access(client_id, user_id, scopes, expiry(now, ttl))
    return {
        "user_id": user_id,
        "access_token": access.token,
        "refresh_token": grant.refresh_token,
        "expires_in": ttl,
        "scope": " ".join(sorted(scopes)),
        "authorized_at": grant.authorized_at.isoformat(),
    }


def create_users(state: SandboxState, data: dict[str, Any]) -> dict[str, Any]:
    """Users from data["users"] and/or data["count"]; grants too when data["grant"] is set."""
    defaults = {k: v for k, v in data.items() if k not in ("users", "count", "grant")}
    items: list[dict[str, Any]] = [dict(u) for u in data.get("users", [])]
    start = len(state.spotify.users)
    items += [{} for _ in range(int(data.get("count", 0)))]
    users = [
        state.spotify.put_user(_user(item, defaults, start + n)) for n, item in enumerate(items)
    ]
    out: dict[str, Any] = {"users": [u.id for u in users]}
    grant = data.get("grant")
    if grant is not None:
        if not isinstance(grant, dict):
            raise ValueError("grant must be an object")
        authorized = grant.get("authorized_at")
        when = datetime.fromisoformat(authorized) if authorized else None
        if when is not None and when.tzinfo is None:
            raise ValueError("authorized_at must carry a UTC offset")
        out["grants"] = [
            grant_for(
                state,
                u.id,
                str(grant.get("client_id", SANDBOX_CLIENT_ID)),
                str(grant.get("scope", DEFAULT_SCOPE)),
                when,
            )
            for u in users
        ]
    return out
