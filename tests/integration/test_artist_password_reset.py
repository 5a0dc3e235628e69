"""'Forgot your password?': with SMTP_URL a one-time reset link is mailed (to a local SMTP
stand-in) and the page answers the same whether or not an account uses the address;
without it the page says who to ask. The mailed link works once and expires."""

from __future__ import annotations

import html
import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import update
from werkzeug.test import TestResponse

from core.db import transaction
from core.models import OneTimeToken
from core.services import accounts, mail, password_reset
from core.settings import Settings
from core.timeutil import utcnow
from tests.integration.artist_helpers import csrf_of
from tests.integration.smtp_standin import Mailbox, smtp_standin
from web import create_app

__all__ = ["smtp_standin"]  # the fixture
EMAIL, PASSWORD, NEW = "mira@label.example", "correct horse battery", "a brand new passphrase"
FROM = "Presave <presave@label.example>"
SAID = "we've emailed it a link to choose a new password. The link works once, for one hour."
LINK = re.compile(r"https://presave\.example\.test/app/reset/([A-Za-z0-9_-]+)")


def text(response: object) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())  # type: ignore[attr-defined]


def refusing_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def account(settings: Settings) -> None:
    with transaction(settings.database_url) as session:
        user, _ = accounts.create_user(session, EMAIL, "Label")
        accounts.set_password(session, user.id, PASSWORD)


def forgot(client: FlaskClient, email: str) -> TestResponse:
    token = csrf_of(client, "/app/sign-in")
    return client.post("/app/forgot", data={"csrf_token": token, "email": email})


def signs_in(client: FlaskClient, password: str) -> bool:
    data = {"csrf_token": csrf_of(client, "/app/sign-in"), "email": EMAIL, "password": password}
    return client.post("/app/sign-in", data=data).status_code == 302


@pytest.fixture
def mailing(
    settings: Settings,
    smtp_standin: Mailbox,
    redis_conn: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Flask:
    """The app with SMTP_URL on the stand-in; jobs read the same settings from the env."""
    monkeypatch.chdir(tmp_path)
    env = {
        "PRESAVE_ENV": "test",
        "INSTANCE_PATH": str(settings.instance_path),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": settings.public_url,
        "SMTP_URL": smtp_standin.url(),
        "MAIL_FROM": FROM,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app(settings.with_overrides(smtp_url=smtp_standin.url(), mail_from=FROM))
    app.config["TESTING"] = True
    return app


def test_without_smtp_the_page_says_who_to_ask(
    client: FlaskClient, settings: Settings, redis_conn: redis.Redis
) -> None:
    account(settings)
    assert 'href="/app/forgot">Forgot your password?' in text(client.get("/app/sign-in"))
    page = client.get("/app/forgot")
    body = text(page)
    assert page.status_code == 200
    assert "This server sends no email" in body and "presave user reset-link" in body
    assert "an owner of your team" in body and 'name="email"' not in body
    posted = forgot(client, EMAIL)
    assert posted.status_code == 200 and "This server sends no email" in text(posted)
    assert Queue("default", connection=redis_conn).jobs == []


def test_the_mailed_link_works_once_and_the_answer_tells_nothing(
    mailing: Flask, settings: Settings, smtp_standin: Mailbox, redis_conn: redis.Redis
) -> None:
    account(settings)
    client = mailing.test_client()
    assert 'name="email"' in text(client.get("/app/forgot"))
    known, unknown = forgot(client, EMAIL.upper()), forgot(client, "nobody@label.example")
    assert known.status_code == unknown.status_code == 200
    assert f"If an account uses {EMAIL.upper()}, {SAID}" in text(known)
    assert text(known).replace(EMAIL.upper(), "X") == text(unknown).replace(
        "nobody@label.example", "X"
    ), "the same page either way"
    jobs = Queue("default", connection=redis_conn).jobs
    assert [j.func_name for j in jobs] == ["workers.entry.send_password_reset"] * 2
    assert [job.perform() for job in jobs] == [True, False]

    (received,) = smtp_standin.received
    message = received.message
    assert received.login == ("mailer", "s3cret") and received.recipients == [EMAIL]
    assert message["To"] == EMAIL and message["From"] == FROM
    assert message["Subject"] == "Choose a new password for Presave alerts"
    found = LINK.search(message.get_content())
    assert found is not None, message.get_content()
    path = f"/app/reset/{found.group(1)}"

    browser = mailing.test_client()
    assert "Choose a new password" in text(browser.get(path))
    data = {"csrf_token": csrf_of(browser, path), "password": NEW, "confirm": NEW}
    assert browser.post(path, data=data).status_code == 302
    again = mailing.test_client().get(path)
    assert again.status_code == 410 and "used already" in text(again)
    assert signs_in(mailing.test_client(), NEW) and not signs_in(mailing.test_client(), PASSWORD)


def test_a_mailed_link_expires(
    mailing: Flask, settings: Settings, smtp_standin: Mailbox, redis_conn: redis.Redis
) -> None:
    account(settings)
    forgot(mailing.test_client(), EMAIL)
    (job,) = Queue("default", connection=redis_conn).jobs
    assert job.perform() is True
    found = LINK.search(smtp_standin.received[0].message.get_content())
    assert found is not None
    with transaction(settings.database_url) as session:
        session.execute(update(OneTimeToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = mailing.test_client().get(f"/app/reset/{found.group(1)}")
    assert expired.status_code == 410 and "expired" in text(expired)


def test_a_bad_address_is_named_and_asking_is_rate_limited(
    mailing: Flask, settings: Settings, redis_conn: redis.Redis
) -> None:
    client = mailing.test_client()
    bad = forgot(client, "not an email")
    assert bad.status_code == 400
    assert 'id="email-error">Enter an email address' in text(bad)
    assert client.post("/app/forgot", data={"email": EMAIL}).status_code == 400  # no token
    answers = [forgot(client, EMAIL).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429], "5 a minute per email"
    assert len(Queue("default", connection=redis_conn).jobs) == 5


def test_with_the_queue_down_the_page_says_to_try_again(mailing: Flask) -> None:
    mailing.config["PRESAVE_SETTINGS"] = mailing.config["PRESAVE_SETTINGS"].with_overrides(
        redis_url=f"redis://127.0.0.1:{refusing_port()}/0"
    )
    client = mailing.test_client()
    down = forgot(client, EMAIL)
    assert down.status_code == 503
    assert "We couldn't send the email just now" in text(down) and "Nothing was sent" in text(down)


def test_a_mail_server_that_refuses_is_named(settings: Settings) -> None:
    account(settings)
    down = settings.with_overrides(smtp_url=f"smtp://127.0.0.1:{refusing_port()}", mail_from=FROM)
    with pytest.raises(mail.MailError, match=r"could not send mail through 127\.0\.0\.1:\d+"):
        password_reset.send_link(down, EMAIL)


def test_credentials_are_never_sent_in_the_clear_off_loopback(
    settings: Settings, smtp_standin: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    account(settings)
    monkeypatch.setattr(mail, "LOOPBACK_HOSTS", frozenset())  # as if 127.0.0.1 were remote
    remote = settings.with_overrides(smtp_url=smtp_standin.url(), mail_from=FROM)
    with pytest.raises(mail.MailError, match="does not offer STARTTLS"):
        password_reset.send_link(remote, EMAIL)
    assert smtp_standin.received == []


def test_smtp_url_parts() -> None:
    plain = mail.server("smtp://mailer:p%40ss%3Aword@smtp.example.com")
    assert (plain.host, plain.port, plain.implicit_tls) == ("smtp.example.com", 587, False)
    assert (plain.user, plain.password) == ("mailer", "p@ss:word")
    tls = mail.server("smtp+ssl://smtp.example.com")
    assert (tls.port, tls.implicit_tls, tls.user, tls.password) == (465, True, None, None)
    assert mail.server("smtp://127.0.0.1:2525").where == "127.0.0.1:2525"
