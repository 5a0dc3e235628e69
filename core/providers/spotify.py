"""Spotify over HTTP (through spotipy): authorization-code flow, the current user, clients.

Every client is built with spotipy's own retries off, so a 429 and its Retry-After reach
our rate limiter instead of sleeping inside the HTTP library, and with the base URLs
from settings (SPOTIFY_ACCOUNTS_BASE, SPOTIFY_API_BASE) so a local stand-in can answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import spotipy
from spotipy.cache_handler import CacheHandler, MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from core.providers import (
    QUOTA_REASON,
    ProviderError,
    QuotaExceeded,
    QuotaRestricted,
    RateLimited,
    Rejected,
    Revoked,
    Unavailable,
    quota_reset,
    retry_after_seconds,
)
from core.settings import Settings

PROVIDER = "spotify"
SCOPE_LIBRARY = "user-library-modify"
SCOPE_FOLLOW = "user-follow-modify"
SCOPE_PROFILE = "user-read-private"
# Refresh tokens die 6 months after the fan authorized, whatever refreshes happened.
REFRESH_TOKEN_LIFETIME = timedelta(days=183)
TIMEOUT_SECONDS = 10.0
# The local stand-in's public, fake app (used when no client id is set and Spotify is on loopback).
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ALLOW_LIST_WORDS = ("not registered", "developer dashboard", "may not be registered")


@dataclass(frozen=True)
class SpotifyApp:
    """Our Spotify application and where Spotify (or its local stand-in) is."""

    client_id: str
    client_secret: str
    redirect_uri: str
    accounts_base: str
    api_base: str
    sandbox: bool = False


@dataclass(frozen=True)
class SpotifyUser:
    """What /me tells us about the fan who authorized."""

    id: str
    country: str | None


def app_from_settings(settings: Settings) -> SpotifyApp | None:
    """The configured app; a loopback stand-in when no client id is set; else None."""
    client_id, secret, sandbox = settings.spotify_client_id, settings.spotify_client_secret, False
    if not client_id:
        if urlsplit(settings.spotify_accounts_base).hostname not in LOOPBACK_HOSTS:
            return None
        client_id, secret, sandbox = SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, True
    return SpotifyApp(
        client_id=client_id,
        client_secret=secret or "",
        redirect_uri=settings.spotify_redirect_uri,
        accounts_base=settings.spotify_accounts_base,
        api_base=settings.spotify_api_base,
        sandbox=sandbox,
    )


def scopes_for(*, save: bool, follow: bool) -> tuple[str, ...]:
    """Only the scopes a campaign's actions need, plus the fan's market (country)."""
    scopes = [SCOPE_LIBRARY] if save else []
    if follow:
        scopes.append(SCOPE_FOLLOW)
    scopes.append(SCOPE_PROFILE)
    return tuple(scopes)


def _quiet_spotipy() -> None:
    """spotipy logs request bodies (tokens included) at DEBUG: never let that through."""
    logger = logging.getLogger("spotipy")
    if logger.level < logging.INFO:
        logger.setLevel(logging.INFO)


class _OAuth(spotipy.SpotifyOAuth):  # type: ignore[misc]
    """SpotifyOAuth that never prompts on a terminal when it has no usable token."""

    def get_auth_response(self, open_browser: bool | None = None) -> str:
        """No stored token matches: the fan must authorize again (no interactive prompt)."""
        raise SpotifyOauthError("no stored token for these scopes", error="no_token")


def oauth_manager(app: SpotifyApp, scopes: tuple[str, ...], cache: CacheHandler) -> Any:
    """A SpotifyOAuth on our accounts base, storing tokens through `cache`."""
    _quiet_spotipy()
    manager = _OAuth(
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri=app.redirect_uri,
        scope=list(scopes),
        cache_handler=cache,
        open_browser=False,
        requests_timeout=TIMEOUT_SECONDS,
    )
    manager.OAUTH_AUTHORIZE_URL = f"{app.accounts_base}/authorize"
    manager.OAUTH_TOKEN_URL = f"{app.accounts_base}/api/token"
    return manager


def authorize_url(app: SpotifyApp, scopes: tuple[str, ...], state: str) -> str:
    """Where to send the fan to authorize (authorization-code flow)."""
    url: str = oauth_manager(app, scopes, MemoryCacheHandler()).get_authorize_url(state=state)
    return url


def exchange_code(app: SpotifyApp, scopes: tuple[str, ...], cache: CacheHandler, code: str) -> str:
    """POST the code to the token endpoint; tokens land in `cache`; returns the access token."""
    manager = oauth_manager(app, scopes, cache)
    try:
        token: str = manager.get_access_token(code=code, as_dict=False, check_cache=False)
    except SpotifyOauthError as exc:
        raise _from_oauth_error(exc) from None
    except requests.RequestException as exc:
        raise Unavailable(PROVIDER, type(exc).__name__) from None
    return token


def api_client(
    app: SpotifyApp, *, access_token: str | None = None, auth_manager: Any = None
) -> Any:
    """A spotipy client with no retries of its own, on our API base."""
    _quiet_spotipy()
    client = spotipy.Spotify(
        auth=access_token,
        auth_manager=auth_manager,
        retries=0,
        status_retries=0,
        status_forcelist=(500, 502, 503, 504),
        backoff_factor=0,
        requests_timeout=TIMEOUT_SECONDS,
    )
    client.prefix = f"{app.api_base}/"
    return client


def user_client(app: SpotifyApp, scopes: tuple[str, ...], cache: CacheHandler) -> Any:
    """A client acting for one fan: tokens come from (and refreshes go to) `cache`."""
    return api_client(app, auth_manager=oauth_manager(app, scopes, cache))


def current_user(app: SpotifyApp, access_token: str) -> SpotifyUser:
    """GET /me. A 403 here means the fan is not on a development-mode app's allow-list."""
    try:
        data = api_client(app, access_token=access_token).me()
    except SpotifyException as exc:
        raise translate(exc, profile=True) from None
    except SpotifyOauthError as exc:
        raise _from_oauth_error(exc) from None
    except requests.RequestException as exc:
        raise Unavailable(PROVIDER, type(exc).__name__) from None
    if not isinstance(data, dict):
        raise Unavailable(PROVIDER, "/me answered without a JSON object")
    user_id, country = data.get("id"), data.get("country")
    if not isinstance(user_id, str) or not 0 < len(user_id) <= 64:
        raise Unavailable(PROVIDER, "/me answered without a user id")
    if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        country = None
    return SpotifyUser(id=user_id, country=country.upper() if country else None)


def translate(exc: SpotifyException, *, profile: bool = False) -> ProviderError:
    """Our exception for a spotipy API error."""
    status, message = exc.http_status, str(exc.msg or "")
    if status == 429 and getattr(exc, "reason", None) == QUOTA_REASON:
        now = datetime.now(UTC)
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        return QuotaExceeded(PROVIDER, quota_reset(retry_after, now), now)
    if status == 429 and exc.headers:
        return RateLimited(PROVIDER, retry_after_seconds(exc.headers.get("Retry-After")))
    if status == 429 or status >= 500:  # spotipy reports an exhausted 5xx retry as 429
        return Unavailable(PROVIDER, f"HTTP {status}")
    if status == 401:
        return Revoked(PROVIDER, "access token refused")
    if status == 403 and (profile or any(w in message.lower() for w in ALLOW_LIST_WORDS)):
        return QuotaRestricted(PROVIDER, "user not on the app's allow-list (development mode)")
    return Rejected(PROVIDER, f"HTTP {status}")


def _from_oauth_error(exc: SpotifyOauthError) -> ProviderError:
    """Our exception for an accounts-service error (token exchange or refresh)."""
    context = exc.__context__
    response = getattr(context, "response", None)
    status = getattr(response, "status_code", None)
    if status == 429 and response is not None:
        return RateLimited(PROVIDER, retry_after_seconds(response.headers.get("Retry-After")))
    if isinstance(status, int) and status >= 500:
        return Unavailable(PROVIDER, f"accounts HTTP {status}")
    if exc.error in ("invalid_grant", "no_token"):
        return Revoked(PROVIDER, str(exc.error))
    if status == 403:
        return QuotaRestricted(PROVIDER, "accounts service refused this user")
    return Rejected(PROVIDER, f"accounts error {exc.error or status}")
