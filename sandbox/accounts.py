"""Spotify accounts service: /authorize (the consent page) and /api/token."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import replace
from html import escape
from urllib.parse import urlencode, urlsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox import consent
from sandbox.http import basic_credentials, forced, json_response, oauth_error
from sandbox.spotify_store import AuthCode, Client, User, expiry
from sandbox.state import SandboxState

SCOPES = frozenset(
    {
        "ugc-image-upload",
        "user-read-playback-state",
        "user-modify-playback-state",
        "user-read-currently-playing",
        "app-remote-control",
        "streaming",
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-private",
        "playlist-modify-public",
        "user-follow-modify",
        "user-follow-read",
        "user-read-playback-position",
        "user-top-read",
        "user-read-recently-played",
        "user-library-modify",
        "user-library-read",
        "user-read-email",
        "user-read-private",
        "user-personalized",
    }
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
AUTH_PARAMS = ("client_id", "response_type", "redirect_uri", "scope", "state")
PKCE_PARAMS = ("code_challenge", "code_challenge_method")


def redirect_problem(uri: str, client: Client | None) -> str | None:
    """Why Spotify would refuse this redirect URI, or None."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Invalid redirect URI"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return "Insecure redirect URI"
    if client is not None and client.redirect_uris and uri not in client.redirect_uris:
        return "Invalid redirect URI"
    return None


def with_query(uri: str, **params: str) -> str:
    """`uri` with params added to its query string."""
    joiner = "&" if urlsplit(uri).query else "?"
    return uri + joiner + urlencode({k: v for k, v in params.items() if v})


class Accounts:
    """The accounts.spotify.com stand-in."""

    service = "accounts"
    routes = (
        ("/authorize", "authorize", ("GET", "POST")),
        ("/api/token", "token", ("POST",)),
        ("/consent.css", "consent_css", ("GET",)),
    )

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def on_authorize(self, request: Request) -> Response:
        """Show the consent page (GET) or answer the user's decision (POST)."""
        params = request.values
        client_id = params.get("client_id", "")
        client = self.state.spotify.clients.get(client_id)
        if client is None and not (client_id and self.state.config.accept_any_client):
            return Response("INVALID_CLIENT: Invalid client", 400)
        redirect_uri = params.get("redirect_uri", "")
        problem = redirect_problem(redirect_uri, client)
        if problem:
            return Response(f"INVALID_CLIENT: {problem}", 400)
        state = params.get("state", "")
        if params.get("response_type") != "code":
            return redirect(
                with_query(redirect_uri, error="unsupported_response_type", state=state)
            )
        scopes = frozenset(params.get("scope", "").split())
        if not scopes <= SCOPES:
            return redirect(with_query(redirect_uri, error="invalid_scope", state=state))
        if forced(self.state, self.service, "authorize", params.get("user_id")) is not None:
            return redirect(with_query(redirect_uri, error="server_error", state=state))
        if request.method == "GET":
            return self._form(request)
        try:
            chosen = consent.read(request.form)
        except consent.ConsentError as exc:
            return Response(f"INVALID_REQUEST: {exc}", 400)
        if chosen.decision == "deny":
            return redirect(with_query(redirect_uri, error="access_denied", state=state))
        user = self._login(chosen)
        now = self.state.clock.now()
        code = AuthCode(
            code="AQ" + secrets.token_urlsafe(32),
            client_id=client_id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            expires_at=expiry(now, self.state.config.code_ttl_s),
            code_challenge=params.get("code_challenge") or None,
        )
        self.state.spotify.issue_code(code)
        return redirect(with_query(redirect_uri, code=code.code, state=state))

    def _form(self, request: Request) -> Response:
        """The consent page, carrying the authorize parameters in hidden fields."""
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{escape(request.args[name])}">'
            for name in (*AUTH_PARAMS, *PKCE_PARAMS)
            if name in request.args
        )
        scopes = request.args.get("scope", "").split()
        user = "fan-" + secrets.token_hex(4)
        return consent.page(self.state.config.app_name, scopes, hidden, user)

    def on_consent_css(self, request: Request) -> Response:
        """The consent page's stylesheet."""
        return consent.stylesheet()

    def _login(self, chosen: consent.Consent) -> User:
        """The user signing in: an existing one or a new one from the form's fields.

        "outsider" puts them off the app's allow-list (their Web API calls answer 403, as
        in development mode); "approve" takes an outsider back onto it.
        """
        outsider = chosen.decision == "outsider"
        known = self.state.spotify.user(chosen.user_id) if chosen.user_id else None
        if known is not None:
            if outsider:
                known = replace(known, allowlisted=False, outsider=True)
            elif known.outsider:
                known = replace(known, allowlisted=True, outsider=False)
            return self.state.spotify.put_user(known)
        return self.state.spotify.put_user(
            User(
                id=chosen.user_id or "fan-" + secrets.token_hex(4),
                country=chosen.country,
                product=chosen.product,
                allowlisted=not outsider,
                outsider=outsider,
            )
        )

    def on_token(self, request: Request) -> Response:
        """Exchange a code, refresh a grant, or issue a client-credentials token."""
        form = request.form
        basic = basic_credentials(request)
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        found = self.state.spotify.client(client_id, secret, self.state.config.accept_any_client)
        if isinstance(found, str):
            return oauth_error("invalid_client", found, 401)
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error("unsupported_grant_type", "grant_type parameter is missing")
        if grant_type == "authorization_code":
            return self._exchange(found, secret, form.get("code", ""), request)
        if grant_type == "refresh_token":
            return self._refresh(found, form.get("refresh_token", ""))
        if grant_type == "client_credentials":
            fault = forced(self.state, self.service, "token", None)
            return fault or self._tokens(found, None, frozenset(), None)
        return oauth_error(
            "unsupported_grant_type",
            "grant_type must be client_credentials, authorization_code or refresh_token",
        )

    def _exchange(
        self, client: Client, secret: str | None, code: str, request: Request
    ) -> Response:
        """grant_type=authorization_code."""
        peek = self.state.spotify.peek_code(code)
        fault = forced(self.state, self.service, "token", peek.user_id if peek else None)
        if fault is not None:
            return fault
        data = self.state.spotify.take_code(code)
        if data is None or data.client_id != client.id:
            return oauth_error("invalid_grant", "Invalid authorization code")
        if data.expires_at <= self.state.clock.now():
            return oauth_error("invalid_grant", "Authorization code expired")
        if request.form.get("redirect_uri", "") != data.redirect_uri:
            return oauth_error("invalid_grant", "Invalid redirect URI")
        if secret is None:
            verifier = request.form.get("code_verifier", "")
            if data.code_challenge is None:
                return oauth_error("invalid_client", "Invalid client secret", 401)
            if s256(verifier) != data.code_challenge:
                return oauth_error("invalid_grant", "code_verifier was incorrect")
        now = self.state.clock.now()
        grant = self.state.spotify.issue_grant(client.id, data.user_id, data.scopes, now)
        return self._tokens(client, data.user_id, data.scopes, grant.refresh_token)

    def _refresh(self, client: Client, refresh_token: str) -> Response:
        """grant_type=refresh_token: invalid_grant once revoked or past the refresh TTL."""
        grant = self.state.spotify.grant(refresh_token)
        fault = forced(self.state, self.service, "token", grant.user_id if grant else None)
        if fault is not None:
            return fault
        if grant is None or grant.client_id != client.id:
            return oauth_error("invalid_grant", "Invalid refresh token")
        if grant.revoked:
            return oauth_error("invalid_grant", "Refresh token revoked")
        config = self.state.config
        if expiry(grant.authorized_at, config.refresh_token_ttl_s) <= self.state.clock.now():
            return oauth_error("invalid_grant", "Refresh token expired")
        new_refresh = None
        if config.refresh_returns_refresh_token:
            new_refresh = self.state.spotify.issue_grant(
                client.id, grant.user_id, grant.scopes, grant.authorized_at
            ).refresh_token
        return self._tokens(client, grant.user_id, grant.scopes, new_refresh)

    def _tokens(
        self, client: Client, user_id: str | None, scopes: frozenset[str], refresh: str | None
    ) -> Response:
        """A token answer shaped like Spotify's."""
        ttl = self.state.config.access_token_ttl_s
        expires = expiry(self.state.clock.now(), ttl)
        access = self.state.spotify.issue_access(client.id, user_id, scopes, expires)
        body: dict[str, object] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        if user_id is not None:
            body["scope"] = " ".join(sorted(scopes))
        return json_response(body)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
