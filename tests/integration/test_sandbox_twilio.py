"""The Twilio sandbox against twilio-python 9.x: sends, errors, limits, signed callbacks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN
from sandbox.callbacks import twilio_signature
from tests.integration.sandbox_fixtures import Running, sandbox, start

__all__ = ["sandbox"]

FAN = "+15551230001"
SENDER = "+15557650000"
SERVICE = "MG" + "0" * 32


class Receiver:
    """A loopback HTTP endpoint recording the status callbacks posted to it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], str]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}/webhooks/twilio/status"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        signature = request.headers.get("X-Twilio-Signature", "")
        self.calls.append((request.url, request.form.to_dict(), signature))
        return Response("<Response/>", content_type="text/xml")(environ, start_response)

    def wait_for(self, count: int, seconds: float = 5.0) -> list[tuple[str, dict[str, str], str]]:
        deadline = time.monotonic() + seconds
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


def test_send_through_the_twilio_client(sandbox: Running) -> None:
    message = sandbox.twilio().messages.create(to=FAN, from_=SENDER, body="It's out!")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.account_sid == SANDBOX_ACCOUNT_SID
    assert message.to == FAN
    assert message.date_created is not None
    stored = sandbox.admin("messages")["messages"]
    assert [(m["sid"], m["body"]) for m in stored] == [(message.sid, "It's out!")]


def test_segments_and_messaging_service(sandbox: Running) -> None:
    client = sandbox.twilio()
    long_gsm = client.messages.create(to=FAN, from_=SENDER, body="x" * 161)
    assert long_gsm.num_segments == "2"
    emoji = client.messages.create(to=FAN, from_=SENDER, body="🎉" * 36)
    assert emoji.num_segments == "2"  # 72 UTF-16 units > 70
    via_service = client.messages.create(to=FAN, messaging_service_sid=SERVICE, body="hi")
    assert via_service.status == "accepted"
    assert via_service.messaging_service_sid == SERVICE


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"To": "555-1234", "From": SENDER, "Body": "x"}, 400, 21211),
        ({"To": FAN, "From": SENDER, "Body": ""}, 400, 21602),
        ({"To": FAN, "Body": "x"}, 400, 21603),
        ({"From": SENDER, "Body": "x"}, 400, 21604),
        ({"To": FAN, "From": SENDER, "Body": "x" * 1601}, 400, 21617),
    ],
)
def test_validation_errors_in_twilio_shape(
    sandbox: Running, fields: dict[str, str], status: int, code: int
) -> None:
    answer = sandbox.http.post(
        f"{sandbox.base}/twilio/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json",
        data=fields,
        auth=(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN),
    )
    assert answer.status_code == status
    body = answer.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def test_invalid_to_raises_in_the_client(sandbox: Running) -> None:
    with pytest.raises(TwilioRestException) as caught:
        sandbox.twilio().messages.create(to="not-a-number", from_=SENDER, body="x")
    assert caught.value.status == 400
    assert caught.value.code == 21211


def test_opted_out_recipient_gets_21610(sandbox: Running) -> None:
    sandbox.configure(twilio_opted_out=[FAN])
    with pytest.raises(TwilioRestException) as caught:
        sandbox.twilio().messages.create(to=FAN, from_=SENDER, body="Drop alert")
    assert caught.value.code == 21610
    assert sandbox.twilio().messages.create(to="+15551230002", from_=SENDER, body="ok").sid


def test_wrong_credentials_get_20003(sandbox: Running) -> None:
    with pytest.raises(TwilioRestException) as wrong_token:
        sandbox.twilio(token="0" * 32).messages.create(to=FAN, from_=SENDER, body="x")
    assert wrong_token.value.status == 401
    assert wrong_token.value.code == 20003
    sandbox.configure(accept_any_account=False)
    with pytest.raises(TwilioRestException) as unknown:
        sandbox.twilio(sid="AC" + "1" * 32, token="t").messages.create(
            to=FAN, from_=SENDER, body="x"
        )
    assert unknown.value.code == 20003
    assert sandbox.admin("stats")["stored"]["messages"] == 0


def test_mps_cap_per_sender_answers_20429() -> None:
    running = start(twilio_mps=3)
    try:
        client = running.twilio()
        codes = []
        for _ in range(6):
            try:
                client.messages.create(to=FAN, from_=SENDER, body="x")
                codes.append(201)
            except TwilioRestException as exc:
                codes.append(exc.code)
        assert codes == [201, 201, 201, 20429, 20429, 20429]
        assert client.messages.create(to=FAN, from_="+15557650001", body="other sender").sid
        time.sleep(1.05)
        assert client.messages.create(to=FAN, from_=SENDER, body="x").sid
        assert running.admin("stats")["twilio"]["rate_limited"] == 3
    finally:
        running.server.shutdown()


def test_list_and_fetch_with_paging(sandbox: Running) -> None:
    client = sandbox.twilio()
    sent = [client.messages.create(to=FAN, from_=SENDER, body=f"m{n}").sid for n in range(5)]
    client.messages.create(to="+15551230009", from_=SENDER, body="other")
    listed = client.messages.list(to=FAN, page_size=2)
    assert [m.sid for m in listed] == sent[::-1]
    assert client.messages(sent[0]).fetch().body == "m0"


def test_signed_status_callbacks_sent_then_delivered(sandbox: Running, receiver: Receiver) -> None:
    message = sandbox.twilio().messages.create(
        to=FAN, from_=SENDER, body="hi", status_callback=receiver.url
    )
    calls = receiver.wait_for(2)
    assert [form["MessageStatus"] for _, form, _ in calls] == ["sent", "delivered"]
    validator = RequestValidator(SANDBOX_AUTH_TOKEN)
    for url, form, signature in calls:
        assert url == receiver.url
        assert form["MessageSid"] == message.sid
        assert form["AccountSid"] == SANDBOX_ACCOUNT_SID
        assert validator.validate(url, form, signature)
        assert not RequestValidator("f" * 32).validate(url, form, signature)
    assert sandbox.twilio().messages(message.sid).fetch().status == "delivered"


def test_undeliverable_number_reports_30003(sandbox: Running, receiver: Receiver) -> None:
    sandbox.configure(twilio_undeliverable=[FAN])
    sandbox.twilio().messages.create(to=FAN, from_=SENDER, body="x", status_callback=receiver.url)
    final = receiver.wait_for(2)[-1][1]
    assert final["MessageStatus"] == "undelivered"
    assert final["ErrorCode"] == "30003"


def test_callbacks_never_leave_loopback(sandbox: Running) -> None:
    sandbox.twilio().messages.create(
        to=FAN, from_=SENDER, body="x", status_callback="https://example.com/status"
    )
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        events = sandbox.admin("stats")["events"]
        if events.get("callbacks_refused", 0) >= 2:
            break
        time.sleep(0.02)
    assert events.get("callbacks_refused") == 2
    assert "callbacks_sent" not in events


def test_signature_matches_twilio_compute_signature() -> None:
    params = {"To": FAN, "MessageStatus": "sent", "Body": "a b&c"}
    url = "http://127.0.0.1:5000/webhooks/twilio/status?x=1"
    expected = RequestValidator(SANDBOX_AUTH_TOKEN).compute_signature(url, params)
    assert twilio_signature(SANDBOX_AUTH_TOKEN, url, params) == expected


def test_latency_and_forced_503_for_one_number(sandbox: Running) -> None:
    sandbox.configure(twilio_latency_ms=150)
    sandbox.admin("faults", {"kind": "503", "service": "twilio", "subject": FAN, "count": 1})
    client = sandbox.twilio()
    began = time.monotonic()
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=FAN, from_=SENDER, body="x")
    assert caught.value.status == 503
    assert time.monotonic() - began >= 0.15
    assert client.messages.create(to=FAN, from_=SENDER, body="x").sid


def test_unknown_twilio_path_is_a_twilio_404(sandbox: Running) -> None:
    answer = sandbox.http.get(f"{sandbox.base}/twilio/2010-04-01/Nope.json", timeout=5)
    assert answer.status_code == 404
    assert answer.json()["code"] == 20404
