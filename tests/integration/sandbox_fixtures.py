"""Fixtures and helpers for the sandbox tests: a live sandbox on 127.0.0.1:0 and clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth
from twilio.rest import Client as TwilioClient

from sandbox import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_CLIENT_ID
from sandbox import SANDBOX_CLIENT_SECRET as CLIENT_SECRET
from sandbox.server import SandboxServer, serve

REDIRECT_URI = "http://127.0.0.1:5000/oauth/spotify/callback"
SCOPE = "user-library-modify user-library-read user-follow-modify user-read-private"


@dataclass
class Running:
    """A sandbox running in this process, with a session that never uses proxies."""

    server: SandboxServer
    base: str
    http: requests.Session

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST (or GET when body is None) to /_sandbox/<path>; the JSON answer."""
        url = f"{self.base}/_sandbox/{path}"
        answer = self.http.get(url) if body is None else self.http.post(url, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def configure(self, **knobs: Any) -> None:
        """Change knobs at runtime through the admin API."""
        self.admin("config", knobs)

    def fan(self, scope: str = SCOPE, **fields: Any) -> dict[str, Any]:
        """A new user with a grant: user_id, access_token, refresh_token, scope."""
        made = self.admin("users", {"users": [fields], "grant": {"scope": scope}})
        grant: dict[str, Any] = made["grants"][0]
        return grant

    def album(self, **fields: Any) -> dict[str, Any]:
        """Add an album to the catalog; returns id, artist_id, tracks."""
        added: dict[str, Any] = self.admin("albums", fields)
        return added

    def spotify(self, token: str) -> spotipy.Spotify:
        """spotipy pointed at the sandbox, never sleeping on Retry-After."""
        client = spotipy.Spotify(
            auth=token,
            requests_session=self.http,
            requests_timeout=5,
            retries=0,
            status_retries=0,
            status_forcelist=(500, 502, 503, 504),
        )
        client.prefix = f"{self.base}/v1/"
        return client

    def oauth(self, scope: str = SCOPE, redirect_uri: str = REDIRECT_URI) -> SpotifyOAuth:
        """SpotifyOAuth with the authorize and token URLs pointed at the sandbox."""
        oauth = SpotifyOAuth(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=redirect_uri,
            scope=scope,
            cache_handler=MemoryCacheHandler(),
            requests_session=self.http,
            requests_timeout=5,
            open_browser=False,
        )
        oauth.OAUTH_AUTHORIZE_URL = f"{self.base}/accounts/authorize"
        oauth.OAUTH_TOKEN_URL = f"{self.base}/accounts/api/token"
        return oauth

    def twilio(self, sid: str = SANDBOX_ACCOUNT_SID, token: str = SANDBOX_AUTH_TOKEN) -> Any:
        """A twilio-python client whose api domain is the sandbox."""
        client = TwilioClient(sid, token)
        client.api.base_url = f"{self.base}/twilio"
        return client


def start(**knobs: Any) -> Running:
    """Serve a sandbox on an ephemeral loopback port."""
    server, _thread, base = serve("127.0.0.1", 0, **knobs)
    http = requests.Session()
    http.trust_env = False
    return Running(server, base, http)


@pytest.fixture
def sandbox() -> Iterator[Running]:
    """A fresh sandbox with default knobs, stopped after the test."""
    running = start()
    yield running
    running.http.close()
    running.server.shutdown()


def authorize(running: Running, oauth: SpotifyOAuth, user_id: str, **form: str) -> str:
    """Walk the login page as user_id and return the redirect Location."""
    url = oauth.get_authorize_url(state="st-1")
    page = running.http.get(url)
    assert page.status_code == 200
    assert "Log in as a sandbox user" in page.text
    fields = {
        "user_id": user_id,
        "country": "SE",
        "product": "premium",
        "decision": "approve",
        **form,
    }
    answer = running.http.post(url, data=fields, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["Location"]
    return location
