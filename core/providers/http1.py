"""One HTTP/1.1 client connection: a request in one write, the answer read off one buffer.

`http.client` spends most of its CPU on work this client never needs: a buffered file
object per response, header parsing through the `email` package, and a validation pass per
header. This connection writes the request line and headers itself (refusing CR/LF in
them) and reads the answer with a plain receive buffer: the status line, the headers, and a
body framed by Content-Length, by chunked encoding, or by the server closing.
"""

from __future__ import annotations

import socket
import ssl
from functools import lru_cache

MAX_HEAD = 64 * 1024  # status line and headers
MAX_BODY = 16 * 1024 * 1024
RECV = 64 * 1024
NO_BODY_STATUSES = frozenset({204, 304})


class Closed(ConnectionError):
    """The server closed the connection before an answer began (an idle close, most often)."""


class Malformed(OSError):
    """The server's answer is not HTTP/1.x this client can read."""


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _clean(text: str, what: str) -> str:
    if "\r" in text or "\n" in text:
        raise ValueError(f"{what} contains a line break: {text[:40]!r}")
    return text


class Response:
    """Status, headers as (name, value) pairs in arrival order and by lower-case name (the
    last of a repeated one), body, and whether the connection must be closed after it."""

    __slots__ = ("body", "fields", "headers", "status", "will_close")

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        fields: dict[str, str],
        body: bytes,
        will_close: bool,
    ) -> None:
        self.status, self.headers, self.fields = status, headers, fields
        self.body, self.will_close = body, will_close


class Connection:
    """A connection to one host, opened on the first request (like http.client's)."""

    def __init__(self, host: str, port: int, *, https: bool, timeout: float) -> None:
        self.host, self.port, self.https, self.timeout = host, port, https, timeout
        self.sock: socket.socket | None = None
        self._buffer = bytearray()
        default = 443 if https else 80
        self._host_header = host if port == default else f"{host}:{port}"

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = _tls().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock
        return sock

    def request(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> None:
        """Write one request (opening the connection if needed)."""
        lines = [f"{_clean(method, 'method')} {_clean(target, 'target')} HTTP/1.1"]
        lines.append(f"Host: {self._host_header}")
        for name, value in headers.items():
            lines.append(f"{_clean(name, 'header name')}: {_clean(value, 'header ' + name)}")
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock = self.sock or self._connect()
        sock.sendall(head + body if body else head)

    def getresponse(self, method: str) -> Response:
        """Read the answer to the request just written (interim 1xx answers skipped)."""
        while True:
            status, headers, will_close = self._read_head()
            if not 100 <= status < 200:
                break
        fields = {name.lower(): value for name, value in headers}
        if method == "HEAD" or status in NO_BODY_STATUSES:
            return Response(status, headers, fields, b"", will_close)
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return Response(status, headers, fields, self._read_chunked(), will_close)
        if "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                raise Malformed("bad Content-Length") from None
            if not 0 <= length <= MAX_BODY:
                raise Malformed(f"Content-Length {length} out of range")
            return Response(status, headers, fields, self._read_exactly(length), will_close)
        return Response(status, headers, fields, self._read_to_close(), True)

    @property
    def unread(self) -> bool:
        """Bytes received beyond the last answer (a connection not fit for another request)."""
        return bool(self._buffer)

    def close(self) -> None:
        """Close the socket (a later request opens a new one)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self._buffer.clear()

    def _fill(self) -> bool:
        """Receive more into the buffer; False at end of stream."""
        if self.sock is None:
            raise Closed("not connected")
        data = self.sock.recv(RECV)
        if not data:
            return False
        self._buffer += data
        return True

    def _read_line_block(self, end: bytes, limit: int) -> bytes:
        """Everything up to and including `end` (at most `limit` bytes)."""
        start = 0
        while (at := self._buffer.find(end, start)) < 0:
            if len(self._buffer) > limit:
                raise Malformed("answer head too long")
            start = max(0, len(self._buffer) - len(end) + 1)
            if not self._fill():
                if not self._buffer:
                    raise Closed("closed before an answer")
                raise Malformed("closed in the middle of an answer")
        block = bytes(self._buffer[: at + len(end)])
        del self._buffer[: at + len(end)]
        return block

    def _read_head(self) -> tuple[int, list[tuple[str, str]], bool]:
        lines = self._read_line_block(b"\r\n\r\n", MAX_HEAD).decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise Malformed(f"bad status line {lines[0][:60]!r}")
        headers = []
        connection = ""
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise Malformed(f"bad header line {line[:60]!r}")
            name, value = name.strip(), value.strip()
            headers.append((name, value))
            if name.lower() == "connection":
                connection += value.lower()
        if version == "HTTP/1.0":
            will_close = "keep-alive" not in connection
        else:
            will_close = "close" in connection
        return int(code), headers, will_close

    def _read_exactly(self, length: int) -> bytes:
        while len(self._buffer) < length:
            if not self._fill():
                raise Malformed("closed in the middle of a body")
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self._read_line_block(b"\r\n", MAX_HEAD).decode("latin-1")
            try:
                size = int(size_line.split(";", 1)[0].strip(), 16)
            except ValueError:
                raise Malformed(f"bad chunk size {size_line[:40]!r}") from None
            if size == 0:
                while self._read_line_block(b"\r\n", MAX_HEAD) != b"\r\n":
                    pass  # trailer fields, ignored
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise Malformed("chunked body too large")
            parts.append(self._read_exactly(size))
            if self._read_exactly(2) != b"\r\n":
                raise Malformed("chunk not followed by CRLF")

    def _read_to_close(self) -> bytes:
        while self._fill():
            if len(self._buffer) > MAX_BODY:
                raise Malformed("body too large")
        body = bytes(self._buffer)
        self.close()
        return body
