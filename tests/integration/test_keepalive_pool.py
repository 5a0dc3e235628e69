"""The lean HTTP client keeps its connections in a pool that outlives the threads using it."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.providers import keepalive
from core.providers.keepalive import KeepAliveClient

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class CountingOrigin(socketserver.ThreadingTCPServer):
    """A keep-alive loopback server that counts the connections it accepted."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    server: CountingOrigin

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        while self.rfile.readline():
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b""):
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.rfile.read(length)
            with self.server.lock:
                self.server.requests += 1
            self.wfile.write(OK)


@pytest.fixture
def origin() -> Iterator[CountingOrigin]:
    server = CountingOrigin()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_thread_pools_that_come_and_go_reuse_the_same_connections(
    origin: CountingOrigin,
) -> None:
    """As the save job's notifier does: a new pool of 8 threads for every batch."""
    client = KeepAliveClient(origin.url, timeout=5)
    for _ in range(10):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.request("POST", "/m", form={}), range(16)))
        assert [a.status for a in answers] == [200] * 16
    assert origin.requests == 160
    assert origin.connections <= 8  # at most one per thread running at once, ever


def test_an_idle_connection_past_its_age_is_not_reused(
    origin: CountingOrigin, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = KeepAliveClient(origin.url, timeout=5)
    client.request("GET", "/a")
    client.request("GET", "/b")
    assert origin.connections == 1
    monkeypatch.setattr(keepalive, "MAX_IDLE_SECONDS", 0.0)
    client.request("POST", "/c", form={"To": "+14155550100"})
    assert origin.connections == 2  # a POST never goes out on a connection idle too long
