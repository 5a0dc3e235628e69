"""A small SMTP server on 127.0.0.1 for tests: takes AUTH PLAIN logins and
messages, and keeps what it was sent (no TLS, so only a loopback SMTP_URL reaches it)."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

LOGIN_WORD = "s3cret"


@dataclass
class Received:
    """What one session delivered."""

    sender: str
    recipients: list[str]
    data: bytes
    login: tuple[str, str] | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The stand-in's address and what it received."""

    port: int
    received: list[Received] = field(default_factory=list)

    def url(self) -> str:
        """SMTP_URL for this stand-in, with the test login mailer / s3cret."""
        return f"smtp://mailer:{LOGIN_WORD}@127.0.0.1:{self.port}"


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sender, recipients, login = "", [], None
        self.say("220 127.0.0.1 stand-in ESMTP")
        while line := self.rfile.readline():
            verb, _, rest = line.decode().rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.say("250-127.0.0.1")
                self.say("250 AUTH PLAIN")
            elif verb == "AUTH" and rest.upper().startswith("PLAIN "):
                _, user, password = base64.b64decode(rest[6:]).decode().split("\0")
                login = (user, password)
                self.say("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender = rest.split(":", 1)[1].strip().strip("<>").split(">")[0]
                self.say("250 OK")
            elif verb == "RCPT":
                recipients.append(rest.split(":", 1)[1].strip().strip("<>"))
                self.say("250 OK")
            elif verb == "DATA":
                self.say("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.mailbox.received.append(Received(sender, recipients, data, login))
                self.say("250 OK: queued")
            elif verb == "QUIT":
                self.say("221 Bye")
                return
            else:
                self.say("250 OK")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: Mailbox


@pytest.fixture
def smtp_standin() -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port for the test's length."""
    server = _Server(("127.0.0.1", 0), _Session)
    server.mailbox = Mailbox(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.mailbox
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
