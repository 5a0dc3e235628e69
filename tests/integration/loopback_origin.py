"""A scriptable HTTP/1.1 server on 127.0.0.1 for the providers' HTTP client tests."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Origin(socketserver.ThreadingTCPServer):
    """Counts connections and requests; `answer(n)` says what to do with the n-th request of
    a connection (0-based): "answer"; "drop" (read, never answered, connection closed);
    "hang" (read, never answered, connection held open until the server stops); or
    "answer_and_fin": answer, then close our sending side as a server does at its idle
    timeout, while a request already on its way is still read (and never answered).
    `targets` are the request targets as sent (absolute through a proxy)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: Callable[[int], str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.connections = 0
        self.requests: list[str] = []
        self.targets: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    server: Origin

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        served, fin_sent = 0, False
        while line := self.rfile.readline():
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b""):
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.rfile.read(length)
            with self.server.lock:
                method, target = line.decode("latin-1").split(" ")[:2]
                self.server.requests.append(method)
                self.server.targets.append(target)
            what = "drop" if fin_sent else self.server.answer(served)
            if what == "hang":
                self.server.stopping.wait()
            if what in ("drop", "hang"):
                return
            self.wfile.write(OK)
            served += 1
            if what == "answer_and_fin":
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                fin_sent = True  # a later request on this connection: read, never answered


@contextmanager
def running(answer: Callable[[int], str]) -> Iterator[Origin]:
    """An Origin serving in the background until the block ends."""
    server = Origin(answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
