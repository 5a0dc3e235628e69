"""The sandbox console's phone: a fan's text goes through the sandbox's Twilio to our real,
signed SMS webhook, and the conversation is read back from the sandbox's message log."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus, Fan, ScheduledMessage
from core.settings import Settings
from core.timeutil import utcnow
from sandbox.config import SANDBOX_TWILIO_NUMBER
from tests.factories import make_campaign
from tests.integration.phone_fixtures import FAN, PhoneWorld, phone_world
from web import create_app
from web.app import settings_of

__all__ = ["phone_world"]


def test_texting_the_keyword_puts_our_reply_with_its_link_in_the_thread(
    phone_world: PhoneWorld, db: Session
) -> None:
    make_campaign(db, keyword="BLOOM")

    sent = phone_world.text("BLOOM")

    assert sent.status_code == 303
    assert sent.headers["Location"] == "/sandbox/phone?number=%2B12125550101"
    thread = phone_world.thread().get_json()
    assert thread["phone"] == FAN and thread["place"] == "New York"
    assert thread["our_number"] == SANDBOX_TWILIO_NUMBER
    mine, ours = thread["messages"]
    assert (mine["mine"], mine["sender"], mine["pieces"]) == (
        True, FAN, [{"text": "BLOOM", "href": None}],
    )  # fmt: skip
    assert not ours["mine"] and ours["sender"] == SANDBOX_TWILIO_NUMBER
    links = [p["href"] for p in ours["pieces"] if p["href"]]
    assert len(links) == 1 and links[0].startswith(f"{phone_world.app_url}/p/")

    page = phone_world.client.get("/sandbox/phone", query_string={"number": FAN})
    shown = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Messages with {SANDBOX_TWILIO_NUMBER}" in shown
    assert f'<a href="{links[0]}" target="_blank" rel="noopener noreferrer">' in shown
    assert "Keywords you can text: <strong>BLOOM</strong>" in shown


def test_the_pages_script_sends_and_gets_json(phone_world: PhoneWorld, db: Session) -> None:
    make_campaign(db, keyword="BLOOM")
    sent = phone_world.text("BLOOM", Accept="application/json")
    assert sent.status_code == 200
    assert sent.get_json() == {"sent": True, "replies": 1}
    assert len(phone_world.thread().get_json()["messages"]) == 2


def test_what_the_workers_send_shows_on_our_side_after_the_fans_text(
    phone_world: PhoneWorld, db: Session
) -> None:
    make_campaign(db, keyword="BLOOM")
    phone_world.text("BLOOM")
    countdown = "1 hour left! https://x.test/r/1"
    twilio = phone_world.sandbox.twilio()
    twilio.messages.create(to=FAN, from_=SANDBOX_TWILIO_NUMBER, body=countdown)
    elsewhere = "+12125550199"
    twilio.messages.create(to=elsewhere, from_=SANDBOX_TWILIO_NUMBER, body="not this phone")

    messages = phone_world.thread().get_json()["messages"]
    assert [m["mine"] for m in messages] == [True, False, False]
    last = messages[-1]
    assert last["sender"] == SANDBOX_TWILIO_NUMBER
    assert last["pieces"] == [
        {"text": "1 hour left! ", "href": None},
        {"text": "https://x.test/r/1", "href": "https://x.test/r/1"},
    ]


def test_a_number_that_is_not_e164_is_refused_naming_the_field(phone_world: PhoneWorld) -> None:
    page = phone_world.client.get("/sandbox/phone", query_string={"number": "2125550101"})
    assert page.status_code == 400
    shown = page.get_data(as_text=True)
    assert "number: a phone number in E.164 form" in shown
    assert 'aria-invalid="true"' in shown

    answer = phone_world.thread("+1 555")
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "number"
    assert "is not a valid number" in answer.get_json()["error"]


def test_a_bad_number_or_empty_text_sends_nothing(phone_world: PhoneWorld) -> None:
    refused = phone_world.text("BLOOM", number="+999")
    assert refused.status_code == 400
    assert "number:" in refused.get_data(as_text=True)

    empty = phone_world.text("   ", Accept="application/json")
    assert empty.status_code == 400
    assert empty.get_json()["field"] == "text"
    assert empty.get_json()["error"].startswith("text: required")
    assert phone_world.stored_messages() == 0


def test_a_text_without_the_csrf_token_is_refused(phone_world: PhoneWorld) -> None:
    answer = phone_world.client.post("/sandbox/phone/text", data={"number": FAN, "text": "BLOOM"})
    assert answer.status_code == 400
    assert phone_world.stored_messages() == 0


def test_markup_in_a_text_is_shown_as_text_and_only_http_links_are_links(
    phone_world: PhoneWorld,
) -> None:
    body = '<b>hi</b> javascript:alert(1) https://x.test/a?q="><script>alert(2)</script>.'
    phone_world.text(body)

    mine = phone_world.thread().get_json()["messages"][0]
    assert [p["href"] for p in mine["pieces"] if p["href"]] == ["https://x.test/a?q="]
    shown = phone_world.client.get("/sandbox/phone", query_string={"number": FAN})
    text = shown.get_data(as_text=True)
    assert "&lt;b&gt;hi&lt;/b&gt; javascript:alert(1) " in text
    assert '<a href="https://x.test/a?q=" target="_blank"' in text
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;." in text
    assert "<script>alert" not in text and "<b>hi" not in text


def test_no_sandbox_is_a_503_that_says_so(phone_world: PhoneWorld) -> None:
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
        settings = settings_of(phone_world.app).with_overrides(sandbox_url=gone)
        answer = (
            create_app(settings)
            .test_client()
            .get("/sandbox/phone/thread.json", query_string={"number": FAN})
        )
    assert answer.status_code == 503
    assert "The sandbox is not answering" in answer.get_json()["error"]


def test_the_phone_exists_only_when_every_provider_is_the_sandbox_never_in_production(
    settings: Settings,
) -> None:
    sandboxed = settings.with_overrides(sandboxed=("twilio", "spotify", "discord"))
    partly = settings.with_overrides(sandboxed=("twilio",))  # real Spotify and Discord
    for built in (settings, partly, sandboxed.with_overrides(env="production")):
        client = create_app(built).test_client()
        assert client.get("/sandbox/phone").status_code == 404
        assert client.get(f"/sandbox/phone/thread.json?number=%2B{FAN[1:]}").status_code == 404
    assert create_app(sandboxed).test_client().get("/sandbox/phone").status_code == 200


def test_a_text_held_by_quiet_hours_is_said_on_the_phone(
    phone_world: PhoneWorld, db: Session
) -> None:
    """A drop text held until the fan's morning: the phone says so, with the time there."""
    campaign = make_campaign(db, keyword="BLOOM")
    phone_world.text("BLOOM")
    assert phone_world.thread().get_json()["held"] is None
    fan_id = db.scalar(select(Fan.id).where(Fan.phone_e164 == FAN))
    message = ScheduledMessage(
        campaign_id=campaign.id,
        kind="countdown",
        template="countdown-1h",
        send_at=utcnow(),
        body="soon",
        channels="sms",
    )
    db.add(message)
    db.flush()
    morning = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 08:00 in New York
    db.add(Delivery(message_id=message.id, fan_id=fan_id, channel="sms",
                    status=DeliveryStatus.HELD, not_before=morning))  # fmt: skip
    db.commit()
    said = (
        "1 text to this phone is held by quiet hours: the next goes at 08:00 there "
        "(13:00 UTC, Dec 7)."
    )
    assert phone_world.thread().get_json()["held"] == said
    page = phone_world.client.get("/sandbox/phone", query_string={"number": FAN})
    assert said in page.get_data(as_text=True)
