"""Outgoing email over SMTP (SMTP_URL), with the standard library only.

`smtp://` upgrades to TLS with STARTTLS before anything is said (a server that does not
offer it is refused, except on a loopback host such as a local relay); `smtp+ssl://`
speaks TLS from the start. Every socket operation has TIMEOUT_SECONDS."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from core.env_values import SMTP_SCHEMES
from core.settings import LOOPBACK_HOSTS, Settings

TIMEOUT_SECONDS = 10.0


class MailError(Exception):
    """Mail could not be sent; the message says where and why (never the password)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where SMTP_URL points."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def server(url: str) -> SmtpServer:
    """The parts of an SMTP_URL (checked by core.env_values.smtp_url when read)."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    port = parts.port or SMTP_SCHEMES[parts.scheme]
    return SmtpServer(parts.hostname, port, parts.scheme == "smtp+ssl", user, password)


def send(settings: Settings, message: EmailMessage, timeout: float = TIMEOUT_SECONDS) -> None:
    """Send `message` (its From, To and Subject set) through SMTP_URL; MailError if not."""
    if not settings.smtp_url:
        raise MailError("this server sends no mail: SMTP_URL is not set")
    target = server(settings.smtp_url)
    context = ssl.create_default_context()
    try:
        client = (
            smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
            if target.implicit_tls
            else smtplib.SMTP(target.host, target.port, timeout=timeout)
        )
        with client:
            client.ehlo()
            if not target.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif not target.implicit_tls and target.host not in LOOPBACK_HOSTS:
                raise MailError(f"the mail server at {target.where} does not offer STARTTLS")
            if target.user is not None and target.password is not None:
                client.login(target.user, target.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send mail through {target.where}: {exc}") from exc
