"""The Twilio sandbox delivers a fan's text to our SMS webhook, signed as Twilio signs it,
and keeps the TwiML answer as the reply to that fan."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN
from tests.integration.sandbox_fixtures import Running, sandbox

__all__ = ["sandbox"]

FAN = "+14155550101"
OUR_NUMBER = "+15005550006"
TWIML = "<?xml version='1.0'?><Response><Message>Hi! Your link: http://x/p/1</Message></Response>"


class Webhook:
    """A loopback SMS webhook that checks the signature and answers with TwiML."""

    def __init__(self, answer: str = TWIML, status: int = 200) -> None:
        self.answer, self.status = answer, status
        self.forms: list[dict[str, str]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}/webhooks/twilio/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        form = request.form.to_dict()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(SANDBOX_AUTH_TOKEN).validate(request.url, form, signature):
            return Response("bad signature", 403)(environ, start_response)
        self.forms.append(form)
        answer = Response(self.answer, self.status, content_type="text/xml")
        return answer(environ, start_response)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    running = Webhook()
    yield running
    running.server.shutdown()


def test_a_text_reaches_the_webhook_signed_and_the_reply_is_kept(
    sandbox: Running, webhook: Webhook
) -> None:
    sandbox.configure(twilio_sms_url=webhook.url)
    answer = sandbox.admin("twilio/inbound", {"from": FAN, "body": "DROP"})

    assert answer["status"] == 200
    [form] = webhook.forms
    assert form["From"] == FAN and form["To"] == OUR_NUMBER and form["Body"] == "DROP"
    assert form["AccountSid"] == SANDBOX_ACCOUNT_SID and form["MessageSid"] == answer["sid"]
    assert [r["body"] for r in answer["replies"]] == ["Hi! Your link: http://x/p/1"]

    talk = sandbox.admin(f"twilio/conversation?phone=%2B{FAN[1:]}")["messages"]
    assert [(m["direction"], m["from"], m["to"], m["body"]) for m in talk] == [
        ("inbound", FAN, OUR_NUMBER, "DROP"),
        ("outbound-reply", OUR_NUMBER, FAN, "Hi! Your link: http://x/p/1"),
    ]


def test_an_empty_twiml_answer_sends_nothing(sandbox: Running) -> None:
    quiet = Webhook(answer="<Response/>")
    try:
        answer = sandbox.admin("twilio/inbound", {"from": FAN, "body": "hi", "url": quiet.url})
    finally:
        quiet.server.shutdown()
    assert answer["replies"] == []
    assert len(sandbox.admin(f"twilio/conversation?phone=%2B{FAN[1:]}")["messages"]) == 1


def test_a_refused_webhook_is_a_502_naming_its_status(sandbox: Running) -> None:
    failing = Webhook(answer="nope", status=500)
    try:
        answer = sandbox.http.post(
            f"{sandbox.base}/_sandbox/twilio/inbound",
            json={"from": FAN, "body": "DROP", "url": failing.url},
        )
    finally:
        failing.server.shutdown()
    assert answer.status_code == 502
    assert "the webhook answered 500" in answer.json()["error"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"from": "555", "body": "x", "url": "http://127.0.0.1:1/x"}, "from must be"),
        ({"from": FAN, "body": "", "url": "http://127.0.0.1:1/x"}, "body must be"),
        ({"from": FAN, "body": "x"}, "url: no SMS webhook"),
        ({"from": FAN, "body": "x", "url": "https://example.com/sms"}, "url must be"),
    ],
)
def test_bad_inbound_requests_are_400s(
    sandbox: Running, body: dict[str, str], problem: str
) -> None:
    answer = sandbox.http.post(f"{sandbox.base}/_sandbox/twilio/inbound", json=body)
    assert answer.status_code == 400
    assert problem in answer.json()["error"]
