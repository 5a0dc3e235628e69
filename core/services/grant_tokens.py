"""spotipy's token cache backed by a SpotifyGrant row: tokens are encrypted at rest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spotipy.cache_handler import CacheHandler

from core.crypto import TokenCipher
from core.models import SpotifyGrant


class GrantTokenCache(CacheHandler):  # type: ignore[misc]
    """Reads and writes a grant's tokens through the cipher.

    Before the grant exists (the first authorization, while we ask Spotify who the fan
    is) tokens wait in memory; `bind` writes them to the row. Nothing here commits.
    """

    def __init__(self, cipher: TokenCipher, grant: SpotifyGrant | None = None) -> None:
        self._cipher = cipher
        self._grant = grant
        self._pending: dict[str, Any] | None = None

    @property
    def has_tokens(self) -> bool:
        """Whether a token exchange or refresh has delivered tokens."""
        if self._grant is not None:
            return self._grant.refresh_token_enc is not None
        return self._pending is not None

    def bind(self, grant: SpotifyGrant) -> None:
        """Attach the row and move tokens received so far into it."""
        self._grant = grant
        if self._pending is not None:
            self.save_token_to_cache(self._pending)
            self._pending = None

    def get_cached_token(self) -> dict[str, Any] | None:
        """The token_info dict spotipy expects, decrypted; None when there is none."""
        grant = self._grant
        if grant is None:
            return dict(self._pending) if self._pending is not None else None
        if grant.refresh_token_enc is None:
            return None
        expires = grant.access_expires_at
        return {
            "access_token": self._cipher.decrypt_optional(grant.access_token_enc) or "",
            "refresh_token": self._cipher.decrypt(grant.refresh_token_enc),
            "token_type": "Bearer",
            "scope": grant.scopes,
            "expires_at": int(expires.timestamp()) if expires is not None else 0,
        }

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        """Store what the token endpoint answered (a refresh may omit the refresh token)."""
        grant = self._grant
        if grant is None:
            self._pending = dict(token_info)
            return
        access = token_info.get("access_token")
        refresh = token_info.get("refresh_token")
        if isinstance(access, str) and access:
            grant.access_token_enc = self._cipher.encrypt(access)
        if isinstance(refresh, str) and refresh:
            grant.refresh_token_enc = self._cipher.encrypt(refresh)
        expires_at = token_info.get("expires_at")
        if isinstance(expires_at, int | float):
            grant.access_expires_at = datetime.fromtimestamp(expires_at, UTC)
        scope = token_info.get("scope")
        if isinstance(scope, str) and scope:
            grant.scopes = scope[:200]
