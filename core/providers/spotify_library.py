"""Spotify calls of the drop fan-out: refresh a fan's token, save the release, follow the artist.

These run tens of thousands of times on drop day, so they use one shared `requests.Session`
(a pooled keep-alive connection per thread) rather than a spotipy client per fan, and one
`PUT /me/library` carries both the album and the artist URI (half the requests); a 400 on
the artist URI falls back to `PUT /me/following`. Nothing here retries or sleeps: 429s
surface as RateLimited for the shared limiter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from core.providers import (
    QuotaRestricted,
    RateLimited,
    Rejected,
    Revoked,
    Unavailable,
    retry_after_seconds,
)
from core.providers.spotify import ALLOW_LIST_WORDS, SpotifyApp

PROVIDER = "spotify"
TIMEOUT = (5.0, 15.0)


@dataclass(frozen=True)
class Tokens:
    """A refreshed token set (refresh_token is the old one when Spotify sent none)."""

    access_token: str
    refresh_token: str
    expires_at: float
    scope: str | None


def http_session(pool: int = 64) -> requests.Session:
    """A session whose pool fits `pool` concurrent threads, no retries of its own."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _error_text(response: requests.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("reason") or "")[:200]
        if isinstance(error, str):
            return f"{error}: {body.get('error_description', '')}"[:200]
    return ""


def _raise_for(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    text = _error_text(response)
    if status == 429:
        raise RateLimited(PROVIDER, retry_after_seconds(response.headers.get("Retry-After"), 1.0))
    if status >= 500:
        raise Unavailable(PROVIDER, f"HTTP {status}")
    if status == 401:
        raise Revoked(PROVIDER, "access token refused")
    if status == 403 and any(word in text.lower() for word in ALLOW_LIST_WORDS):
        raise QuotaRestricted(PROVIDER, text or "development mode")
    raise Rejected(PROVIDER, f"HTTP {status}: {text}")


def _send(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise Unavailable(PROVIDER, type(exc).__name__) from None
    _raise_for(response)
    return response


def refresh(session: requests.Session, app: SpotifyApp, refresh_token: str) -> Tokens:
    """POST /api/token grant_type=refresh_token; invalid_grant raises Revoked."""
    try:
        response = session.post(
            f"{app.accounts_base}/api/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(app.client_id, app.client_secret),
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise Unavailable(PROVIDER, type(exc).__name__) from None
    if response.status_code == 400 and "invalid_grant" in response.text:
        raise Revoked(PROVIDER, "invalid_grant")
    _raise_for(response)
    body = response.json()
    access = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(access, str) or not access:
        raise Unavailable(PROVIDER, "token endpoint answered without an access token")
    new_refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    return Tokens(
        access_token=access,
        refresh_token=new_refresh
        if isinstance(new_refresh, str) and new_refresh
        else refresh_token,
        expires_at=time.time()
        + (float(expires_in) if isinstance(expires_in, int | float) else 3600),
        scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
    )


def save_to_library(
    session: requests.Session, app: SpotifyApp, access_token: str, uris: list[str]
) -> None:
    """PUT /me/library?uris=... (at most 40 URIs)."""
    if not 0 < len(uris) <= 40:
        raise ValueError("PUT /me/library takes 1 to 40 URIs")
    _send(
        session,
        "PUT",
        f"{app.api_base}/me/library",
        params={"uris": ",".join(uris)},
        headers={"Authorization": f"Bearer {access_token}"},
    )


def follow_artists(
    session: requests.Session, app: SpotifyApp, access_token: str, artist_ids: list[str]
) -> None:
    """PUT /me/following?type=artist&ids=... (the older endpoint, kept as a fallback)."""
    _send(
        session,
        "PUT",
        f"{app.api_base}/me/following",
        params={"type": "artist", "ids": ",".join(artist_ids)},
        headers={"Authorization": f"Bearer {access_token}"},
    )
