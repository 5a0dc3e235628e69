"""The providers' HTTP calls against a loopback server: pooled connections shared by threads,
timeouts, what is sent again after a broken connection, and proxies from the environment."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.providers import Unavailable, discord_rest, spotify_library, twilio_sms
from core.providers.http_pool import AnswerLost, Origin, TransportError, proxy_for, shared
from core.providers.spotify import SpotifyApp
from core.settings import Settings
from tests.integration.loopback_origin import running

# Far above the timeouts these tests set: a call that hangs fails the test instead of it.
HANG_BOUND = 8.0


def twilio_settings(base: str) -> Settings:
    return Settings(
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="token",
        twilio_from_number="+15005550006",
        twilio_api_base=base,
    )


def spotify_app(base: str) -> SpotifyApp:
    return SpotifyApp("id", "secret", "http://127.0.0.1/cb", base, base, sandbox=True)


def discord_settings(base: str) -> Settings:
    return Settings(discord_bot_token="bot-token", discord_api_base=base)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_threads_that_come_and_go_share_a_few_connections() -> None:
    """As the save job's notifier does: a new pool of 8 threads for every batch, all sending
    through the process's one client."""
    with running(lambda _served: "answer") as origin:
        settings = twilio_settings(origin.url)
        assert twilio_sms.client(settings).http is twilio_sms.client(settings).http

        def text(n: int) -> int:
            return shared(origin.url, 5.0).request("POST", "/m", form={"n": str(n)}).status

        for _ in range(10):
            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(text, range(16))) == [200] * 16
    assert len(origin.requests) == 160
    assert origin.connections <= 8  # at most one per thread running at once, ever


def test_a_forked_process_gets_its_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    first = shared("http://127.0.0.1:9", 5.0)
    monkeypatch.setattr(os, "getpid", lambda: -1)
    assert shared("http://127.0.0.1:9", 5.0) is not first


def test_a_server_that_never_answers_ends_in_each_providers_timeout_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(twilio_sms, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(spotify_library, "TIMEOUT", 0.3)
    monkeypatch.setattr(discord_rest, "READ_TIMEOUT", 0.3)
    with running(lambda _served: "hang") as silent:
        began = time.monotonic()
        settings = twilio_settings(silent.url)
        with pytest.raises(twilio_sms.SmsOutcomeUnknown):  # Twilio may have sent it
            twilio_sms.send(twilio_sms.client(settings), settings, "+15005550001", "hi")
        with pytest.raises(Unavailable):
            spotify_library.save_to_library(
                spotify_library.http_clients(spotify_app(silent.url)), "AT", ["spotify:album:1"]
            )
        api = discord_rest.client(discord_settings(silent.url))
        with pytest.raises(discord_rest.OutcomeUnknown):
            discord_rest.send_message(api, "1", "hello", nonce="n1")
        with pytest.raises(Unavailable) as lookup:
            discord_rest.get(api, "/guilds/1")
        assert not isinstance(lookup.value, discord_rest.OutcomeUnknown)
        assert time.monotonic() - began < HANG_BOUND
    # A timeout is not retried, not even for an idempotent call: that would double the wait.
    assert silent.requests == ["POST", "PUT", "POST", "GET"]


def test_a_refused_connection_is_unavailable_not_an_unknown_outcome() -> None:
    """Nothing reached the server: the text can be sent again safely."""
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    settings = twilio_settings(f"http://127.0.0.1:{port}")
    with pytest.raises(twilio_sms.SmsUnavailable):
        twilio_sms.send(twilio_sms.client(settings), settings, "+15005550001", "hi")


def test_a_connection_closed_after_an_answer_is_retried_only_when_idempotent() -> None:
    """The server answers the first request of each connection and drops the next one after
    reading it (it may have acted). A POST is reported lost; a PUT goes out once more."""
    with running(lambda served: "answer" if served == 0 else "drop") as origin:
        settings = twilio_settings(origin.url)
        twilio = twilio_sms.client(settings)
        with pytest.raises(twilio_sms.SmsUnavailable, match="without a message sid"):
            twilio_sms.send(twilio, settings, "+15005550001", "hi")  # answered: {}
        with pytest.raises(twilio_sms.SmsOutcomeUnknown):
            twilio_sms.send(twilio, settings, "+15005550001", "hi")
        assert origin.requests == ["POST", "POST"], "the second text was not sent again"
        api = discord_rest.client(discord_settings(origin.url))
        discord_rest.add_role(api, "1", "2", "3", "test")
        discord_rest.add_role(api, "1", "2", "3", "test")
        assert origin.requests[2:] == ["PUT", "PUT", "PUT"], "the second PUT, repeated"
        with pytest.raises(discord_rest.OutcomeUnknown):
            for _ in range(2):
                discord_rest.send_message(api, "1", "hello", nonce="n2")


def test_a_connection_the_server_closed_while_idle_is_not_used_for_a_post() -> None:
    """The server closes its side of an idle keep-alive connection. A POST written into it
    would be read by nobody and end as an unknown outcome; it goes out on a new connection."""
    answers = iter(["answer_and_fin"])
    with running(lambda _served: next(answers, "answer")) as origin:
        client = Origin(origin.url, read_timeout=5, connect_timeout=5)
        assert client.request("POST", "/m", form={"n": "1"}).status == 200
        deadline = time.monotonic() + HANG_BOUND
        while not _peer_closed(client) and time.monotonic() < deadline:
            time.sleep(0.01)  # the server's FIN reaches us
        assert client.request("POST", "/m", form={"n": "2"}).status == 200
    assert origin.requests == ["POST", "POST"] and origin.connections == 2


def _peer_closed(client: Origin) -> bool:
    pool = client._pool
    assert pool is not None and pool.pool is not None
    conns = [c for c in list(pool.pool.queue) if c is not None]
    return bool(conns) and not conns[0].is_connected


def test_an_unanswered_post_is_lost_not_retried_and_a_transport_error() -> None:
    with running(lambda _served: "drop") as origin:
        client = Origin(origin.url, read_timeout=5, connect_timeout=5)
        with pytest.raises(AnswerLost):
            client.request("POST", "/m", form={"n": "1"})
        with pytest.raises(TransportError) as get:
            client.request("GET", "/m")
        assert not isinstance(get.value, AnswerLost)
    assert origin.requests == ["POST", "GET", "GET"]


def test_proxies_come_from_the_environment_and_loopback_goes_direct(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert proxy_for("https://api.twilio.com/2010-04-01") == "http://proxy.internal:3128"
    assert proxy_for("http://api.twilio.com") is None  # no HTTP_PROXY
    assert proxy_for("https://127.0.0.1:8443") is None
    assert proxy_for("https://localhost:8443") is None
    monkeypatch.setenv("NO_PROXY", "discord.com")
    assert proxy_for("https://discord.com/api/v10") is None
    with running(lambda _served: "answer") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client = Origin("http://api.example.test/v1", read_timeout=5, connect_timeout=5)
        assert client.request("GET", "/me", params={"a": "b"}).status == 200
        direct = Origin(proxy.url + "/v1", read_timeout=5, connect_timeout=5)
        assert direct.request("GET", "/x").status == 200
    assert proxy.targets == ["http://api.example.test/v1/me?a=b", "/v1/x"]
