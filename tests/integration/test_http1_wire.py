"""The lean HTTP/1.1 connection against raw bytes from a loopback server: framing, reuse,
interim answers, and what it refuses."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.providers import http1
from core.providers.http1 import Closed, Connection, Malformed
from core.providers.keepalive import KeepAliveClient


@contextmanager
def raw_server(
    answers: list[bytes], close_after: bool = False
) -> Iterator[tuple[int, list[bytes]]]:
    """Accept one connection; answer its n-th request with answers[n] (raw bytes)."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            buffer = b""
            for answer in answers:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                received.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                conn.sendall(answer)
            if close_after:
                conn.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        listener.close()
        thread.join(timeout=5)


def connect(port: int) -> Connection:
    return Connection("127.0.0.1", port, https=False, timeout=5)


def test_requests_are_framed_and_the_connection_is_reused() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    ]
    with raw_server(answers) as (port, received):
        conn = connect(port)
        conn.request("POST", "/a?b=1", b"x=1", {"Accept": "application/json"})
        first = conn.getresponse("POST")
        sock = conn.sock
        conn.request("GET", "/c", None, {})
        second = conn.getresponse("GET")
        conn.request("PUT", "/d", None, {"Content-Length": "0"})
        third = conn.getresponse("PUT")
        assert conn.sock is sock, "one connection for all three"
        conn.close()
    assert (first.status, first.body, first.will_close) == (200, b"hello", False)
    assert ("X-A", "1") in first.headers and first.fields["x-a"] == "1"
    assert (second.status, second.body) == (201, b"abcde")
    assert (third.status, third.body) == (204, b"")
    assert received[0] == (
        b"POST /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json\r\n"
        b"Content-Length: 3\r\n\r\nx=1" % port
    )
    assert received[2].startswith(b"PUT /d HTTP/1.1\r\n")


def test_interim_answers_are_skipped_and_close_is_honoured() -> None:
    answers = [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n"
               b"Content-Length: 2\r\n\r\nok"]  # fmt: skip
    with raw_server(answers) as (port, _):
        conn = connect(port)
        conn.request("GET", "/", None, {})
        answer = conn.getresponse("GET")
    assert (answer.status, answer.body, answer.will_close) == (200, b"ok", True)


def test_a_body_without_length_is_read_to_the_close() -> None:
    with raw_server([b"HTTP/1.0 200 OK\r\n\r\nall of it"], close_after=True) as (port, _):
        conn = connect(port)
        conn.request("GET", "/", None, {})
        answer = conn.getresponse("GET")
    assert (answer.body, answer.will_close, conn.sock) == (b"all of it", True, None)


def test_a_close_before_any_answer_is_told_apart_from_a_broken_one() -> None:
    with raw_server([b""], close_after=True) as (port, _):
        conn = connect(port)
        conn.request("POST", "/", b"", {})
        with pytest.raises(Closed):
            conn.getresponse("POST")
    with raw_server([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"], close_after=True) as (
        port,
        _,
    ):
        conn = connect(port)
        conn.request("GET", "/", None, {})
        with pytest.raises(Malformed, match="middle of a body"):
            conn.getresponse("GET")


@pytest.mark.parametrize(
    "answer",
    [
        b"SMTP 220 hello\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_answers_are_refused(answer: bytes) -> None:
    with raw_server([answer], close_after=True) as (port, _):
        conn = connect(port)
        conn.request("GET", "/", None, {})
        with pytest.raises(Malformed):
            conn.getresponse("GET")


def test_line_breaks_in_what_we_send_are_refused_before_anything_goes_out() -> None:
    conn = Connection("127.0.0.1", 9, https=False, timeout=1)  # never connected
    with pytest.raises(ValueError, match="header Authorization"):
        conn.request("GET", "/", None, {"Authorization": "Bearer x\r\nX-Evil: 1"})
    with pytest.raises(ValueError, match="target"):
        conn.request("GET", "/ HTTP/1.1\r\nX-Evil: 1", None, {})
    assert conn.sock is None


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def tls_server(cert: Path, key: Path, answers: int) -> Iterator[int]:
    """Answer `answers` requests on one TLS connection with a 2-byte JSON body each."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        try:
            raw, _ = listener.accept()
            with context.wrap_socket(raw, server_side=True) as conn:
                buffer = b""
                for _ in range(answers):
                    while b"\r\n\r\n" not in buffer:
                        buffer += conn.recv(65536)
                    _, _, buffer = buffer.partition(b"\r\n\r\n")
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except (OSError, ssl.SSLError):
            return  # the client refused our certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(timeout=5)


def test_https_verifies_the_certificate_and_keeps_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    with tls_server(cert, key, 1) as port:
        untrusted = Connection("127.0.0.1", port, https=True, timeout=5)
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.request("GET", "/", None, {})
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(http1, "_tls", lambda: trusting)
    with tls_server(cert, key, 2) as port:
        conn = Connection("127.0.0.1", port, https=True, timeout=5)
        conn.request("PUT", "/me/library", None, {"Content-Length": "0"})
        first = conn.getresponse("PUT")
        sock = conn.sock
        conn.request("GET", "/", None, {})
        second = conn.getresponse("GET")
        assert isinstance(sock, ssl.SSLSocket) and conn.sock is sock
        conn.close()
    assert (first.status, first.body, second.body) == (200, b"{}", b"{}")


def test_the_keep_alive_pool_reuses_a_tls_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS 1.3 servers send session tickets after the handshake: read with the first answer,
    they must not make the idle connection look closed (the server takes one connection)."""
    cert, key = self_signed(tmp_path)
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(http1, "_tls", lambda: trusting)
    with tls_server(cert, key, 3) as port:
        client = KeepAliveClient(f"https://127.0.0.1:{port}", timeout=5)
        statuses = [client.request("POST", "/x", form={"a": "1"}).status for _ in range(3)]
        client.close()
    assert statuses == [200, 200, 200]
