"""The Spotify sandbox against real clients (spotipy, requests): OAuth, Web API, faults, limits."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import spotipy
from spotipy.exceptions import SpotifyException
from spotipy.oauth2 import SpotifyOauthError

from sandbox.accounts import s256
from sandbox.server import serve
from tests.integration.sandbox_fixtures import (
    REDIRECT_URI,
    SCOPE,
    Running,
    authorize,
    sandbox,
    start,
)

__all__ = ["sandbox"]

UPC = "00602445791234"
ISRC = "USUM72600001"
RELEASE = "2026-11-20"
NZ_MIDNIGHT = datetime(2026, 11, 19, 11, 0, tzinfo=UTC)
US_MIDNIGHT = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def query(location: str) -> dict[str, str]:
    """The query parameters of a redirect Location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def release(running: Running) -> dict[str, Any]:
    """An album going live at local midnight on RELEASE in every known market."""
    return running.album(
        name="Drop Day",
        artist_name="Sandbox Artist",
        upc=UPC,
        release_date=RELEASE,
        local_midnight=True,
        tracks=[{"name": "Single", "isrc": ISRC}, {"name": "B-side", "isrc": "USUM72600002"}],
    )


def at(running: Running, instant: datetime) -> None:
    """Set the sandbox clock."""
    running.admin("clock", {"now": instant.isoformat()})


# --- accounts: authorize, code exchange, refresh -------------------------------------------


def test_code_exchange_with_spotipy_oauth(sandbox: Running) -> None:
    oauth = sandbox.oauth()
    location = authorize(sandbox, oauth, "fan-a")
    params = query(location)
    assert location.startswith(REDIRECT_URI)
    assert params["state"] == "st-1"
    token = oauth.get_access_token(params["code"], as_dict=False, check_cache=False)
    me = sandbox.spotify(token).me()
    assert me["id"] == "fan-a"
    assert me["country"] == "SE"
    assert me["product"] == "premium"
    cached = oauth.cache_handler.get_cached_token()
    assert cached["refresh_token"].startswith("AQ")
    assert cached["expires_in"] == 3600


def test_code_is_single_use_and_bound_to_redirect_uri(sandbox: Running) -> None:
    oauth = sandbox.oauth()
    code = query(authorize(sandbox, oauth, "fan-b"))["code"]
    token_url = f"{sandbox.base}/accounts/api/token"
    auth = ("sandbox-client-id", "sandbox-client-secret")
    wrong = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://x.test/cb"}
    answer = sandbox.http.post(token_url, data=wrong, auth=auth)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}
    again = sandbox.http.post(token_url, data={**wrong, "redirect_uri": REDIRECT_URI}, auth=auth)
    assert again.json()["error_description"] == "Invalid authorization code"


def test_authorize_decline_and_bad_redirects(sandbox: Running) -> None:
    oauth = sandbox.oauth()
    location = authorize(sandbox, oauth, "fan-c", decision="deny")
    assert query(location) == {"error": "access_denied", "state": "st-1"}
    insecure = sandbox.oauth(redirect_uri="http://localhost:5000/cb").get_authorize_url()
    page = sandbox.http.get(insecure)
    assert page.status_code == 400
    assert "Insecure redirect URI" in page.text


def test_refresh_omits_refresh_token_and_spotipy_keeps_the_old_one(sandbox: Running) -> None:
    fan = sandbox.fan()
    raw = sandbox.http.post(
        f"{sandbox.base}/accounts/api/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": fan["refresh_token"],
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        },
    ).json()
    assert set(raw) == {"access_token", "token_type", "expires_in", "scope"}
    assert raw["token_type"] == "Bearer"
    info = sandbox.oauth().refresh_access_token(fan["refresh_token"])
    assert info["refresh_token"] == fan["refresh_token"]
    assert sandbox.spotify(info["access_token"]).me()["id"] == fan["user_id"]


def test_refresh_can_rotate_when_configured() -> None:
    running = start(refresh_returns_refresh_token=True)
    try:
        fan = running.fan()
        info = running.oauth().refresh_access_token(fan["refresh_token"])
        assert info["refresh_token"] != fan["refresh_token"]
        assert running.oauth().refresh_access_token(info["refresh_token"])["access_token"]
    finally:
        running.server.shutdown()


def test_refresh_token_dies_six_months_after_authorization(sandbox: Running) -> None:
    fan = sandbox.fan()
    oauth = sandbox.oauth()
    sandbox.admin("clock", {"advance_s": 100 * 86400})
    assert oauth.refresh_access_token(fan["refresh_token"])["access_token"]
    sandbox.admin("clock", {"advance_s": 82 * 86400})
    assert oauth.refresh_access_token(fan["refresh_token"])["access_token"]
    sandbox.admin("clock", {"advance_s": 2 * 86400})
    with pytest.raises(SpotifyOauthError) as caught:
        oauth.refresh_access_token(fan["refresh_token"])
    assert caught.value.error == "invalid_grant"


def test_revoked_grant_and_wrong_secret(sandbox: Running) -> None:
    fan = sandbox.fan()
    sandbox.admin(f"users/{fan['user_id']}/revoke", {})
    with pytest.raises(SpotifyOauthError) as caught:
        sandbox.oauth().refresh_access_token(fan["refresh_token"])
    assert caught.value.error_description == "Refresh token revoked"
    answer = sandbox.http.post(
        f"{sandbox.base}/accounts/api/token",
        data={"grant_type": "refresh_token", "refresh_token": fan["refresh_token"]},
        auth=("sandbox-client-id", "wrong"),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_pkce_exchange(sandbox: Running) -> None:
    verifier = "v" * 64
    user = sandbox.admin("users", {"users": [{"id": "fan-pkce"}]})["users"][0]
    code = sandbox.admin(
        "codes",
        {"user_id": user, "redirect_uri": REDIRECT_URI, "code_challenge": s256(verifier)},
    )["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form |= {"client_id": "sandbox-client-id", "code_verifier": verifier}
    answer = sandbox.http.post(f"{sandbox.base}/accounts/api/token", data=form)
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"]


# --- Web API ---------------------------------------------------------------------------------


def test_expired_and_unknown_tokens_get_spotify_401s(sandbox: Running) -> None:
    fan = sandbox.fan()
    with pytest.raises(SpotifyException) as unknown:
        sandbox.spotify("BQnope").me()
    assert unknown.value.http_status == 401
    assert "Invalid access token" in unknown.value.msg
    sandbox.admin("clock", {"advance_s": 3601})
    with pytest.raises(SpotifyException) as expired:
        sandbox.spotify(fan["access_token"]).me()
    assert expired.value.http_status == 401
    assert "The access token expired" in expired.value.msg


def test_dev_mode_403_for_users_off_the_allow_list(sandbox: Running) -> None:
    sandbox.configure(dev_mode=True)
    outsider = sandbox.fan(allowlisted=False)
    insider = sandbox.fan(allowlisted=True)
    answer = sandbox.http.get(
        f"{sandbox.base}/v1/me", headers={"Authorization": f"Bearer {outsider['access_token']}"}
    )
    assert answer.status_code == 403
    assert "the user may not be registered" in answer.json()["error"]["message"]
    me = sandbox.spotify(insider["access_token"]).me()
    assert me["id"] == insider["user_id"]
    assert "country" not in me  # removed from the user object in development mode


def test_library_save_contains_and_follow_through_spotipy(sandbox: Running) -> None:
    album = release(sandbox)
    fan = sandbox.fan()
    client = sandbox.spotify(fan["access_token"])
    assert client.current_user_saved_albums_contains([album["id"]]) == [False]
    client.current_user_saved_albums_add([album["id"]])
    client.user_follow_artists([album["artist_id"]])
    assert client.current_user_saved_albums_contains([album["id"]]) == [True]
    mine = sandbox.admin(f"users/{fan['user_id']}")
    assert list(mine["saved"]) == [f"spotify:album:{album['id']}"]
    assert list(mine["follows"]) == [album["artist_id"]]
    too_many = ",".join([f"spotify:album:{album['id']}"] * 41)
    with pytest.raises(SpotifyException) as caught:
        client._put(f"me/library?uris={too_many}")
    assert caught.value.http_status == 400


def test_follow_fallback_when_library_refuses_artists(sandbox: Running) -> None:
    sandbox.configure(library_accepts_artists=False)
    album = release(sandbox)
    fan = sandbox.fan(scope=f"{SCOPE} user-follow-read")
    client = sandbox.spotify(fan["access_token"])
    with pytest.raises(SpotifyException) as caught:
        client.user_follow_artists([album["artist_id"]])
    assert caught.value.http_status == 400
    headers = {"Authorization": f"Bearer {fan['access_token']}"}
    follow = sandbox.http.put(
        f"{sandbox.base}/v1/me/following",
        params={"type": "artist", "ids": album["artist_id"]},
        headers=headers,
    )
    assert follow.status_code == 204
    saved = sandbox.http.put(
        f"{sandbox.base}/v1/me/albums", params={"ids": album["id"]}, headers=headers
    )
    assert saved.status_code == 200
    uris = f"spotify:artist:{album['artist_id']},spotify:album:{album['id']}"
    contains = sandbox.http.get(
        f"{sandbox.base}/v1/me/library/contains", params={"uris": uris}, headers=headers
    )
    assert contains.json() == [True, True]
    sandbox.configure(dev_mode=True)
    removed = sandbox.http.put(
        f"{sandbox.base}/v1/me/following",
        params={"type": "artist", "ids": album["artist_id"]},
        headers=headers,
    )
    assert removed.status_code == 403


def test_scopes_are_enforced(sandbox: Running) -> None:
    album = release(sandbox)
    fan = sandbox.fan(scope="user-library-read")
    with pytest.raises(SpotifyException) as caught:
        sandbox.spotify(fan["access_token"]).current_user_saved_albums_add([album["id"]])
    assert caught.value.http_status == 403
    assert "Insufficient client scope" in caught.value.msg
    assert "country" not in sandbox.spotify(fan["access_token"]).me()


def test_album_visibility_follows_each_market_midnight(sandbox: Running) -> None:
    album = release(sandbox)
    client = sandbox.spotify(sandbox.fan()["access_token"])
    at(sandbox, NZ_MIDNIGHT - timedelta(seconds=5))
    with pytest.raises(SpotifyException) as early:
        client.album(album["id"], market="NZ")
    assert early.value.http_status == 404
    assert "Resource not found" in early.value.msg
    at(sandbox, NZ_MIDNIGHT + timedelta(seconds=1))
    assert client.album(album["id"], market="NZ")["external_ids"] == {"upc": UPC}
    with pytest.raises(SpotifyException):
        client.album(album["id"], market="US")
    at(sandbox, US_MIDNIGHT)
    found = client.album(album["id"], market="US")
    assert found["release_date"] == RELEASE
    assert [t["name"] for t in found["tracks"]["items"]] == ["Single", "B-side"]


def test_search_by_upc_and_isrc_only_once_live(sandbox: Running) -> None:
    release(sandbox)
    client = sandbox.spotify(sandbox.fan()["access_token"])
    at(sandbox, NZ_MIDNIGHT - timedelta(minutes=1))
    before = client.search(q=f"upc:{UPC}", type="album", market="NZ", limit=10)
    assert before["albums"]["total"] == 0
    at(sandbox, NZ_MIDNIGHT)
    albums = client.search(q=f"upc:{UPC}", type="album", market="NZ", limit=10)["albums"]
    assert albums["total"] == 1
    assert albums["items"][0]["name"] == "Drop Day"
    assert set(albums) >= {"items", "total", "limit", "offset", "next", "href"}
    tracks = client.search(q=f"isrc:{ISRC}", type="track", market="NZ", limit=1)["tracks"]
    assert tracks["items"][0]["external_ids"] == {"isrc": ISRC}
    us = client.search(q=f"isrc:{ISRC}", type="track", market="US", limit=1)["tracks"]
    assert us["total"] == 0


def test_search_limit_is_10_in_dev_mode_and_50_otherwise(sandbox: Running) -> None:
    release(sandbox)
    client = sandbox.spotify(sandbox.fan()["access_token"])
    assert client.search(q=f"upc:{UPC}", type="album", limit=50)["albums"]["limit"] == 50
    with pytest.raises(SpotifyException) as over:
        client.search(q=f"upc:{UPC}", type="album", limit=51)
    assert over.value.http_status == 400
    sandbox.configure(dev_mode=True)
    assert client.search(q=f"upc:{UPC}", type="album", limit=10)["albums"]["limit"] == 10
    with pytest.raises(SpotifyException):
        client.search(q=f"upc:{UPC}", type="album", limit=11)


def test_client_credentials_token_can_search_but_not_read_me(sandbox: Running) -> None:
    release(sandbox)
    token = sandbox.http.post(
        f"{sandbox.base}/accounts/api/token",
        data={"grant_type": "client_credentials"},
        auth=("sandbox-client-id", "sandbox-client-secret"),
    ).json()
    assert "refresh_token" not in token
    client = sandbox.spotify(token["access_token"])
    assert client.search(q=f"upc:{UPC}", type="album", market="GB")["albums"]["total"] == 1
    with pytest.raises(SpotifyException) as caught:
        client.me()
    assert caught.value.http_status == 401


# --- limits, latency, faults -----------------------------------------------------------------


def test_rate_cap_answers_429_with_retry_after() -> None:
    running = start(spotify_rps=5)
    try:
        client = running.spotify(running.fan()["access_token"])
        statuses = []
        retry_after = set()
        for _ in range(12):
            try:
                client.me()
                statuses.append(200)
            except SpotifyException as exc:
                statuses.append(exc.http_status)
                retry_after.add(exc.headers["Retry-After"])
        assert statuses.count(200) == 5
        assert statuses.count(429) == 7
        assert retry_after == {"1"}
        assert running.admin("stats")["spotify"]["rate_limited"] == 7
        time.sleep(1.05)
        assert client.me()["id"]
    finally:
        running.server.shutdown()


def test_latency_is_added_per_answer_without_serializing() -> None:
    running = start(spotify_latency_ms=200)
    try:
        token = running.fan()["access_token"]
        url = f"{running.base}/v1/me"

        def call(_: int) -> float:
            began = time.monotonic()
            with requests.Session() as session:
                session.trust_env = False
                answer = session.get(url, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200
            return time.monotonic() - began

        began = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            durations = list(pool.map(call, range(20)))
        assert min(durations) >= 0.2
        assert time.monotonic() - began < 1.0
    finally:
        running.server.shutdown()


def test_several_hundred_concurrent_connections_with_100ms_latency() -> None:
    running = start(spotify_latency_ms=100)
    try:
        token = running.fan()["access_token"]
        host, port = urlsplit(running.base).hostname, urlsplit(running.base).port
        request = (
            f"GET /v1/me HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ).encode()
        began = time.monotonic()
        sockets = [socket.create_connection((host, port), timeout=10) for _ in range(400)]
        for sock in sockets:
            sock.sendall(request)
        answers = []
        for sock in sockets:
            with sock, sock.makefile("rb") as stream:
                answers.append(stream.readline())
        elapsed = time.monotonic() - began
        assert answers == [b"HTTP/1.1 200 OK\r\n"] * 400
        assert elapsed < 8.0, elapsed  # one at a time would take 40 s
        assert running.admin("stats")["spotify"]["max_inflight"] >= 100
    finally:
        running.server.shutdown()


def test_forced_faults_per_user_and_endpoint(sandbox: Running) -> None:
    victim, bystander = sandbox.fan(), sandbox.fan()
    sandbox.admin("faults", {"kind": "503", "subject": victim["user_id"], "count": 1})
    with pytest.raises(SpotifyException) as unavailable:
        sandbox.spotify(victim["access_token"]).me()
    assert unavailable.value.http_status == 503
    assert sandbox.spotify(bystander["access_token"]).me()
    assert sandbox.spotify(victim["access_token"]).me()
    sandbox.admin("faults", {"kind": "quota", "endpoint": "me", "count": 1})
    with pytest.raises(SpotifyException) as quota:
        sandbox.spotify(victim["access_token"]).me()
    assert quota.value.http_status == 429
    assert quota.value.reason == "QUOTA_EXCEEDED"
    sandbox.admin("faults", {"kind": "invalid_grant", "endpoint": "token", "count": 1})
    with pytest.raises(SpotifyOauthError) as grant:
        sandbox.oauth().refresh_access_token(victim["refresh_token"])
    assert grant.value.error == "invalid_grant"
    assert sandbox.oauth().refresh_access_token(victim["refresh_token"])["access_token"]


def test_spotipy_own_retry_session_turns_a_503_into_a_429_without_headers(
    sandbox: Running,
) -> None:
    # Evidence for core/providers: with spotipy's own session (urllib3 Retry, total=0), a
    # 5xx in status_forcelist surfaces as http_status 429 "Max Retries" with no headers;
    # only a real 429 carries Retry-After. Passing requests_session avoids this.
    fan = sandbox.fan()
    client = spotipy.Spotify(
        auth=fan["access_token"],
        requests_timeout=5,
        retries=0,
        status_retries=0,
        status_forcelist=(500, 502, 503, 504),
    )
    client.prefix = f"{sandbox.base}/v1/"
    sandbox.admin("faults", {"kind": "503", "endpoint": "me", "count": 1})
    with pytest.raises(SpotifyException) as server_error:
        client.me()
    assert server_error.value.http_status == 429
    assert "503" in str(server_error.value.reason)
    assert not server_error.value.headers
    sandbox.admin("faults", {"kind": "429", "endpoint": "me", "count": 1})
    with pytest.raises(SpotifyException) as limited:
        client.me()
    assert limited.value.http_status == 429
    assert limited.value.headers["Retry-After"] == "1"


def test_timeout_fault_sleeps_past_the_client_timeout(sandbox: Running) -> None:
    sandbox.configure(timeout_s=3)
    fan = sandbox.fan()
    sandbox.admin("faults", {"kind": "timeout", "endpoint": "me", "count": 1})
    with pytest.raises(requests.Timeout):
        sandbox.http.get(
            f"{sandbox.base}/v1/me",
            headers={"Authorization": f"Bearer {fan['access_token']}"},
            timeout=0.3,
        )


def test_saves_before_release_are_counted(sandbox: Running) -> None:
    album = release(sandbox)
    client = sandbox.spotify(sandbox.fan(country="US")["access_token"])
    at(sandbox, NZ_MIDNIGHT + timedelta(hours=1))
    client.current_user_saved_albums_add([album["id"]])
    assert sandbox.admin("stats")["events"]["saves_before_release"] == 1


def test_admin_rejects_unknown_knobs_and_resets(sandbox: Running) -> None:
    answer = sandbox.http.post(f"{sandbox.base}/_sandbox/config", json={"nope": 1})
    assert answer.status_code == 400
    sandbox.configure(dev_mode=True)
    sandbox.fan()
    sandbox.admin("reset", {})
    assert sandbox.admin("config")["dev_mode"] is False
    assert sandbox.admin("stats")["stored"]["users"] == 0


def test_serve_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve("0.0.0.0")  # noqa: S104 - proving it is refused
