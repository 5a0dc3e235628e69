"""Spotify calls of the drop fan-out: refresh a fan's token, save the release, follow the artist.

These run tens of thousands of times on drop day, so they go straight to the process's
pooled connections (see http_pool.py) rather than through a spotipy client per fan, and
one `PUT /me/library` carries both the album and the artist URI (half the requests); a
400 on the artist URI falls back to `PUT /me/following`. Nothing here sleeps: 429s
surface as RateLimited for the shared limiter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.providers import (
    QUOTA_REASON,
    QuotaExceeded,
    QuotaRestricted,
    RateLimited,
    Rejected,
    Revoked,
    Unavailable,
    quota_reset,
    retry_after_seconds,
)
from core.providers.http_pool import Answer, Origin, TransportError, basic_auth, shared
from core.providers.spotify import ALLOW_LIST_WORDS, SpotifyApp

PROVIDER = "spotify"
TIMEOUT = 15.0


@dataclass(frozen=True)
class Tokens:
    """A refreshed token set (refresh_token is the old one when Spotify sent none)."""

    access_token: str
    refresh_token: str
    expires_at: float
    scope: str | None


@dataclass(frozen=True)
class SpotifyHttp:
    """The accounts service and the Web API (pooled per process), and our app's auth."""

    accounts: Origin
    api: Origin
    basic_auth: str


def http_clients(app: SpotifyApp) -> SpotifyHttp:
    """Clients for `app`'s accounts and API bases (the process's shared pools)."""
    return SpotifyHttp(
        accounts=shared(app.accounts_base, TIMEOUT),
        api=shared(app.api_base, TIMEOUT),
        basic_auth=basic_auth(app.client_id, app.client_secret),
    )


def _error_text(answer: Answer) -> str:
    body: Any = answer.json()
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("reason") or "")[:200]
        if isinstance(error, str):
            return f"{error}: {body.get('error_description', '')}"[:200]
    return answer.text[:200]


def is_quota_answer(answer: Answer) -> bool:
    """A 429 whose body says QUOTA_EXCEEDED (the app's quota, not the rolling rate limit)."""
    body: Any = answer.json()
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("reason") == QUOTA_REASON


def _raise_for(answer: Answer) -> None:
    status = answer.status
    if status < 400:
        return
    text = _error_text(answer)
    if status == 429 and is_quota_answer(answer):
        now = datetime.now(UTC)
        raise QuotaExceeded(PROVIDER, quota_reset(answer.headers.get("retry-after"), now), now)
    if status == 429:
        raise RateLimited(PROVIDER, retry_after_seconds(answer.headers.get("retry-after"), 1.0))
    if status >= 500:
        raise Unavailable(PROVIDER, f"HTTP {status}")
    if status == 401:
        raise Revoked(PROVIDER, "access token refused")
    if status == 403 and any(word in text.lower() for word in ALLOW_LIST_WORDS):
        raise QuotaRestricted(PROVIDER, text or "development mode")
    raise Rejected(PROVIDER, f"HTTP {status}: {text}")


def _send(client: Origin, method: str, path: str, **kwargs: Any) -> Answer:
    try:
        answer = client.request(method, path, **kwargs)
    except TransportError as exc:
        raise Unavailable(PROVIDER, str(exc)) from None
    _raise_for(answer)
    return answer


def refresh(http: SpotifyHttp, refresh_token: str) -> Tokens:
    """POST /api/token grant_type=refresh_token; invalid_grant raises Revoked."""
    try:
        answer = http.accounts.request(
            "POST",
            "/api/token",
            form={"grant_type": "refresh_token", "refresh_token": refresh_token},
            headers={"Authorization": http.basic_auth},
            idempotent=True,  # asking twice only mints another access token
        )
    except TransportError as exc:
        raise Unavailable(PROVIDER, str(exc)) from None
    if answer.status == 400 and "invalid_grant" in answer.text:
        raise Revoked(PROVIDER, "invalid_grant")
    _raise_for(answer)
    body = answer.json()
    access = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(access, str) or not access:
        raise Unavailable(PROVIDER, "token endpoint answered without an access token")
    new_refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    return Tokens(
        access_token=access,
        refresh_token=new_refresh
        if isinstance(new_refresh, str) and new_refresh
        else refresh_token,
        expires_at=time.time()
        + (float(expires_in) if isinstance(expires_in, int | float) else 3600),
        scope=scope if isinstance(scope, str) else None,
    )


def save_to_library(http: SpotifyHttp, access_token: str, uris: list[str]) -> None:
    """PUT /me/library?uris=... (at most 40 URIs)."""
    if not 0 < len(uris) <= 40:
        raise ValueError("PUT /me/library takes 1 to 40 URIs")
    _send(
        http.api,
        "PUT",
        "/me/library",
        params={"uris": ",".join(uris)},
        headers={"Authorization": f"Bearer {access_token}"},
    )


def follow_artists(http: SpotifyHttp, access_token: str, artist_ids: list[str]) -> None:
    """PUT /me/following?type=artist&ids=... (the older endpoint, kept as a fallback)."""
    _send(
        http.api,
        "PUT",
        "/me/following",
        params={"type": "artist", "ids": ",".join(artist_ids)},
        headers={"Authorization": f"Bearer {access_token}"},
    )
