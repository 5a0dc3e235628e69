"""The lean HTTP client keeps its connections in a pool that outlives the threads using it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.providers import keepalive
from core.providers.keepalive import KeepAliveClient
from tests.integration.loopback_origin import Origin, running


@pytest.fixture
def origin() -> Iterator[Origin]:
    with running(lambda _served: "answer") as server:
        yield server


def test_thread_pools_that_come_and_go_reuse_the_same_connections(
    origin: Origin,
) -> None:
    """As the save job's notifier does: a new pool of 8 threads for every batch."""
    client = KeepAliveClient(origin.url, timeout=5)
    for _ in range(10):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.request("POST", "/m", form={}), range(16)))
        assert [a.status for a in answers] == [200] * 16
    assert len(origin.requests) == 160
    assert origin.connections <= 8  # at most one per thread running at once, ever


def test_an_idle_connection_past_its_age_is_not_reused(
    origin: Origin, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = KeepAliveClient(origin.url, timeout=5)
    client.request("GET", "/a")
    client.request("GET", "/b")
    assert origin.connections == 1
    monkeypatch.setattr(keepalive, "MAX_IDLE_SECONDS", 0.0)
    client.request("POST", "/c", form={"To": "+14155550100"})
    assert origin.connections == 2  # a POST never goes out on a connection idle too long


def test_a_connection_the_server_closed_while_idle_is_not_used_for_a_post() -> None:
    """The server closes its side of an idle keep-alive connection. A POST written into it
    would be read by nobody and end as an unknown outcome (AnswerLost); it must go out on a
    new connection instead."""
    answers = iter(["answer_and_fin"])
    with running(lambda _served: next(answers, "answer")) as origin:
        client = KeepAliveClient(origin.url, timeout=5)
        assert client.request("POST", "/m", form={"n": "1"}).status == 200
        time.sleep(0.2)  # the server's FIN reaches us
        assert client.request("POST", "/m", form={"n": "2"}).status == 200
    assert origin.requests == ["POST", "POST"] and origin.connections == 2
