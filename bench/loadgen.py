"""A small asyncio HTTP/1.1 load generator for loopback benchmarks (keep-alive, raw sockets)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = bytes
MAX_SECONDS = 600.0


@dataclass
class Result:
    """Latencies (seconds) of answered requests, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0
    exhausted: bool = False  # the prebuilt requests ran out before the time did

    @property
    def count(self) -> int:
        """Answered requests."""
        return len(self.latencies)

    @property
    def failures(self) -> int:
        """Requests that got no answer or an answer other than 200."""
        return self.errors + sum(n for status, n in self.statuses.items() if status != 200)

    @property
    def rps(self) -> float:
        """Answered requests per second."""
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def build_post(host: str, path: str, body: bytes, headers: dict[str, str]) -> Request:
    """One raw HTTP/1.1 POST with a form body."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> int:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


# A connection is replaced after this many requests, so that no run keeps its 16
# connections pinned for its whole length to whichever gunicorn worker accepted them (the
# bare route gave 1,200-1,700 req/s in some runs and about 3,200 in others; with rotation
# the spread is smaller but still there on this machine, so repeat a run before trusting it).
REQUESTS_PER_CONNECTION = 50


class Connection:
    """One keep-alive connection that reconnects after errors and every 50 requests."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.used = 0

    async def send(self, request: Request, result: Result) -> None:
        """Send one request and record its latency and status.

        A connection the server closed while it sat idle (gunicorn's keep-alive timeout) fails
        at once on reuse: the request is sent again, once, on a new connection (the webhook
        is idempotent on MessageSid). Any other failure counts as an error."""
        if self.used >= REQUESTS_PER_CONNECTION:
            self.close()
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self.streams is not None
            try:
                if self.streams is None:
                    self.streams = await asyncio.open_connection(self.host, self.port)
                    self.used = 0
                self.used += 1
                status = await _exchange(*self.streams, request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.close()
                stale = isinstance(exc, ConnectionError | asyncio.IncompleteReadError)
                if attempt == 1 and reused and stale:
                    continue
                result.errors += 1
                return
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            return

    def close(self) -> None:
        """Close the socket."""
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def closed_loop(
    host: str, port: int, next_request: Callable[[], Request], seconds: float, concurrency: int
) -> Result:
    """`concurrency` connections, each sending its next request as soon as one is answered."""
    result = Result()
    deadline = time.perf_counter() + min(seconds, MAX_SECONDS)
    connections = [Connection(host, port) for _ in range(concurrency)]

    async def run(conn: Connection) -> None:
        while time.perf_counter() < deadline:
            try:
                request = next_request()
            except StopIteration:
                result.exhausted = True
                return
            await conn.send(request, result)

    start = time.perf_counter()
    await asyncio.gather(*(run(c) for c in connections))
    result.elapsed = time.perf_counter() - start
    for conn in connections:
        conn.close()
    return result


async def open_loop(
    host: str, port: int, next_request: Callable[[], Request], seconds: float, rate: float
) -> Result:
    """Requests started at a fixed `rate`, whatever the answers do (no coordinated omission)."""
    result = Result()
    idle: list[Connection] = []
    total = int(min(seconds, MAX_SECONDS) * rate)
    start = time.perf_counter()

    async def one(scheduled: float) -> None:
        try:
            request = next_request()
        except StopIteration:
            result.exhausted = True
            return
        conn = idle.pop() if idle else Connection(host, port)
        before = len(result.latencies)
        await conn.send(request, result)
        if len(result.latencies) > before:  # measure from when it should have been sent
            result.latencies[-1] = time.perf_counter() - scheduled
        idle.append(conn)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return result
