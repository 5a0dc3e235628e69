"""The campaign page's "text me on drop day" form: double opt-in. The form queues one text
asking for YES; the YES (or the keyword) from that number records consent and gets the link.

Real Redis and RQ queue, a real burst worker process, and the Twilio stand-in on 127.0.0.1.
"""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import func, select, update

from core import queues
from core.db import transaction
from core.models import (
    Consent,
    DeliveryStatus,
    Event,
    Fan,
    FanLink,
    OutboundText,
    PhoneConfirmation,
)
from core.services import consent, fans
from core.timeutil import utcnow
from messages import count_segments
from sandbox.config import SANDBOX_AUTH_TOKEN
from tests.factories import make_campaign
from tests.integration.drop_fixtures import DropWorld
from tests.integration.sms_helpers import inbound, post_signed
from web import create_app
from workers import entry, reconcile

PHONE = "+14155550134"
SHOWN = "+1 \u2022\u2022\u2022 \u2022\u2022 01 34"
OUR_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in the drop world
FROM_PAGE = "from-page"  # post(): read the CSRF field from a fresh page view
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def world(drop_world: DropWorld) -> DropWorld:
    return drop_world


@pytest.fixture
def web(world: DropWorld) -> FlaskClient:
    app = create_app(world.settings)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture
def slug(world: DropWorld) -> str:
    with transaction(world.settings.database_url) as session:
        return make_campaign(session).slug


def open_page(web: FlaskClient, slug: str, query: str = "?ref=Mira_Newsletter") -> str:
    response = web.get(f"/c/{slug}{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def token_of(body: str) -> str:
    found = TOKEN_RE.search(body)
    assert found is not None, body
    return found.group(1)


def post(
    web: FlaskClient,
    slug: str,
    phone: str = PHONE,
    *,
    token: str | None = FROM_PAGE,
    source: str = "mira_newsletter",
    region: str = "US",
    peer: str = "127.0.0.1",
    forwarded_for: str | None = None,
) -> tuple[int, str]:
    if token == FROM_PAGE:
        token = token_of(open_page(web, slug))
    data = {"phone": phone, "source": source, "region": region}
    if token is not None:
        data["csrf_token"] = token
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = web.post(
        f"/c/{slug}/text-me", data=data, headers=headers, environ_base={"REMOTE_ADDR": peer}
    )
    return response.status_code, html.unescape(response.get_data(as_text=True))


def queued(conn: redis.Redis) -> list[tuple[object, tuple[object, ...]]]:
    queue = Queue(queues.MESSAGES, connection=conn)
    return [(job.func, tuple(job.args)) for job in queue.get_jobs()]


def texts(world: DropWorld) -> list[tuple[int, str, str, str]]:
    """(id, to, body, status) of every outbox text, oldest first."""
    with transaction(world.settings.database_url) as session:
        rows = session.execute(
            select(
                OutboundText.id, OutboundText.to_number, OutboundText.body, OutboundText.status
            ).order_by(OutboundText.id)
        )
        return [(i, to, body, status) for i, to, body, status in rows]


def counts(world: DropWorld) -> dict[str, int]:
    with transaction(world.settings.database_url) as session:

        def n(model: type, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "fans": n(Fan, Fan.phone_e164.is_not(None)),
            "consents": n(Consent),
            "links": n(FanLink),
            "web_events": n(Event, Event.kind == "web_optin_requested"),
        }


NOTHING = {"fans": 0, "consents": 0, "links": 0, "web_events": 0}


def event_kinds(world: DropWorld) -> list[str]:
    with transaction(world.settings.database_url) as session:
        return list(session.scalars(select(Event.kind).order_by(Event.id)))


def reply(web: FlaskClient, world: DropWorld, body: str, phone: str = PHONE) -> str:
    """The fan texts `body` to our number; the TwiML answer's text."""
    response = post_signed(
        web,
        world.settings.public_url,
        "/webhooks/twilio/sms",
        inbound(body, phone),
        token=SANDBOX_AUTH_TOKEN,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return html.unescape(response.get_data(as_text=True))


def send_all(world: DropWorld) -> list[tuple[str, str]]:
    """Run a burst worker; (to, body) of every text the Twilio stand-in got."""
    worker = world.start_worker(burst=True)
    assert worker.wait(timeout=60) == 0, world.tail()
    return [(m["to"], m["body"]) for m in world.sandbox("GET", "messages")["messages"]]


def test_form_renders_with_label_type_tel_token_source_and_disclosure(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    body = open_page(web, slug)
    start = body.index('<section class="text-me"')
    form = body[start : body.index("</section>", start)]
    assert f'action="/c/{slug}/text-me"' in form and 'method="post"' in form
    assert '<label for="text-me-phone">' in form and 'id="text-me-phone"' in form
    assert 'type="tel"' in form and 'autocomplete="tel"' in form and 'inputmode="tel"' in form
    assert 'name="source" value="mira_newsletter"' in form
    assert len(token_of(form)) >= 32
    terms = " ".join(form[form.index('id="text-me-terms"') :].split())
    assert world.settings.program_name in terms
    for words in (
        "Recurring msgs about this release, up to 3/day until the drop",
        "Msg & data rates may apply",
        "Reply HELP for help, STOP to opt out",
        "Consent is not a condition of purchase",
    ):
        assert words in terms, words
    assert "https://" not in form and "<script" not in form


def test_a_valid_number_gets_one_text_asking_for_yes_and_no_consent(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    status, body = post(web, slug, "(415) 555-0134")
    assert status == 200, body
    assert "Check your phone" in body and SHOWN in body and PHONE not in body
    assert "Reply YES" in body
    assert counts(world) == {"fans": 1, "consents": 0, "links": 0, "web_events": 1}

    [(text_id, to, text, state)] = texts(world)
    assert (to, state) == (PHONE, DeliveryStatus.QUEUED)
    assert queued(world.redis) == [(entry.send_outbound, (text_id,))]
    assert text.startswith('Reply YES to get alerts for "Night Bloom DROP" by Mira Vale from ')
    assert world.settings.program_name in text and "/p/" not in text
    assert count_segments(text).segments <= 2
    assert "STOP" in text and "HELP" in text and "Msg & data rates may apply" in text

    assert send_all(world) == [(PHONE, text)], world.tail()
    assert queued(world.redis) == []
    assert [status for *_, status in texts(world)] == [DeliveryStatus.SENT]
    assert counts(world)["consents"] == 0, "a sent request is still no consent"


def test_yes_from_the_number_records_consent_and_sends_the_link(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    answer = reply(web, world, "YES")

    assert counts(world) == {"fans": 1, "consents": 1, "links": 1, "web_events": 1}
    with transaction(world.settings.database_url) as session:
        row = session.execute(select(Consent, Fan).join(Fan, Fan.id == Consent.fan_id)).one()
        link = session.scalars(select(FanLink)).one()
        optin = session.scalars(select(Event).where(Event.kind == "optin")).one()
    given, fan = row
    assert fan.phone_e164 == PHONE and fan.country == "US"
    assert (given.channel, given.sender, given.source) == ("sms", OUR_NUMBER, "mira_newsletter")
    assert link.source == "mira_newsletter" and optin.source == "mira_newsletter"
    assert f"/p/{link.code}" in answer and "you're in" in answer
    assert event_kinds(world)[-2:] == ["optin", "web_optin_confirmed"]

    # The same YES again is a START word as before, and confirms nothing new.
    again = reply(web, world, "yes")
    assert "subscribed again" in again and "/p/" not in again
    assert counts(world)["consents"] == 1 and event_kinds(world).count("web_optin_confirmed") == 1


def test_the_keyword_from_the_number_confirms_too(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    answer = reply(web, world, "drop")
    assert counts(world) == {"fans": 1, "consents": 1, "links": 1, "web_events": 1}
    assert "/p/" in answer and "web_optin_confirmed" in event_kinds(world)
    with transaction(world.settings.database_url) as session:
        assert session.scalars(select(Consent.source)).one() == "mira_newsletter"


def test_yes_from_a_number_never_asked_keeps_meaning_start(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    answer = reply(web, world, "YES", "+14155550199")  # another number: nothing pending
    assert "subscribed again" in answer and "/p/" not in answer
    assert counts(world)["consents"] == 0 and "web_optin_confirmed" not in event_kinds(world)


def test_stop_drops_the_request_and_a_later_yes_is_only_a_start(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    reply(web, world, "STOP")
    answer = reply(web, world, "YES")
    assert "subscribed again" in answer and "/p/" not in answer
    assert counts(world)["consents"] == 0


def test_asking_again_sends_no_second_text(web: FlaskClient, slug: str, world: DropWorld) -> None:
    assert post(web, slug)[0] == 200
    status, body = post(web, slug, "+1 415 555 0134")
    assert status == 200 and "We already sent you a text" in body and SHOWN in body
    assert counts(world) == {"fans": 1, "consents": 0, "links": 0, "web_events": 1}
    assert len(texts(world)) == 1 and len(queued(world.redis)) == 1
    assert event_kinds(world).count("web_optin_repeat") == 1

    reply(web, world, "YES")
    status, body = post(web, slug)
    assert status == 200 and "already gets drop-day texts" in body
    assert len(texts(world)) == 1, "a number already in is not texted again either"


def test_a_day_later_the_number_may_be_asked_once_more(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    with transaction(world.settings.database_url) as session:
        session.execute(update(PhoneConfirmation).values(texted_at=utcnow() - timedelta(hours=25)))
    status, body = post(web, slug)
    assert status == 200 and "We sent a text" in body
    assert len(texts(world)) == 2


@pytest.mark.parametrize(
    ("phone", "kind"),
    [
        ("+1 800 555 0199", "toll-free"),
        ("+1 888 555 0123", "toll-free"),
        ("+1 900 234 5678", "premium-rate"),
        ("+44 909 879 0000", "premium-rate"),
        ("+44 843 123 4567", "shared-cost"),
        ("+44 56 1234 5678", "VoIP"),
        ("+44 20 7123 4567", "landline"),
        ("+44 70 1234 5678", "personal number"),
    ],
)
def test_a_number_that_cannot_get_texts_is_refused_next_to_the_field(
    web: FlaskClient, slug: str, world: DropWorld, phone: str, kind: str
) -> None:
    status, body = post(web, slug, phone)
    assert status == 400, kind
    error = re.search(r'<span id="text-me-error"[^>]*>([^<]+)</span>', body)
    assert error is not None, body
    assert "can't get our texts" in error.group(1) and "Nothing was saved" in error.group(1)
    assert 'aria-invalid="true"' in body and f'value="{phone}"' in body
    assert counts(world) == NOTHING and texts(world) == []
    assert queued(world.redis) == []


def test_mobile_numbers_abroad_are_asked(web: FlaskClient, slug: str, world: DropWorld) -> None:
    assert post(web, slug, "+44 7911 123456")[0] == 200
    assert post(web, slug, "+33 6 12 34 56 78")[0] == 200
    assert [to for _, to, *_ in texts(world)] == ["+447911123456", "+33612345678"]


@pytest.mark.parametrize(
    ("phone", "region"),
    [("12345", "US"), ("not a number", "US"), ("415 555 0134", ""), ("+1 415 555", "US")],
)
def test_an_invalid_number_is_a_400_and_writes_nothing(
    web: FlaskClient, slug: str, world: DropWorld, phone: str, region: str
) -> None:
    status, body = post(web, slug, phone, region=region)
    error = re.search(r'<span id="text-me-error"[^>]*>([^<]+)</span>', body)
    assert status == 400 and error is not None, body
    assert "That number didn't work" in error.group(1) and "Nothing was saved" in error.group(1)
    assert counts(world) == NOTHING
    assert queued(world.redis) == []


@pytest.mark.parametrize("token", [None, "x" * 43])
def test_without_the_csrf_token_it_is_a_400_and_writes_nothing(
    web: FlaskClient, slug: str, world: DropWorld, token: str | None
) -> None:
    open_page(web, slug)  # the session has a token; the form does not carry it
    status, body = post(web, slug, token=token)
    assert status == 400 and "session has expired" in body
    assert counts(world) == NOTHING
    assert queued(world.redis) == []


def test_a_number_that_said_stop_gets_no_consent_and_no_text(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    with transaction(world.settings.database_url) as session:
        fan, _ = fans.by_phone(session, PHONE)
        consent.opt_out(session, fan.id, "sms", OUR_NUMBER, reason="stop")
    status, body = post(web, slug)
    assert status == 409 and f"text START to {OUR_NUMBER}" in " ".join(body.split())
    assert counts(world)["consents"] == 0 and counts(world)["links"] == 0
    assert queued(world.redis) == []


def test_a_number_is_limited_to_three_requests_an_hour(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert [post(web, slug)[0] for _ in range(3)] == [200, 200, 200]
    status, body = post(web, slug)
    assert status == 429 and "Too many tries" in body
    assert event_kinds(world).count("web_optin_repeat") == 2 and len(texts(world)) == 1
    assert post(web, slug, "+14155550199")[0] == 200  # another number is not affected


def test_with_redis_down_the_form_refuses_and_texts_nothing(
    web: FlaskClient, slug: str, world: DropWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_of(open_page(web, slug))
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    monkeypatch.setattr("web.phone_optin.runtime.redis_client", lambda _settings: down)
    status, body = post(web, slug, token=token)
    assert status == 503 and "Try again later" in body and "no text was sent" in body
    assert counts(world) == NOTHING and texts(world) == []

    world.run_job(reconcile.reconcile)
    assert send_all(world) == [], "nothing is left for reconcile to send either"


def test_with_redis_lost_after_the_limits_the_text_follows_from_reconcile(
    web: FlaskClient, slug: str, world: DropWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.phone_optin.runtime.enqueue_quietly", lambda *_args: False)
    status, body = post(web, slug)
    assert status == 200 and "will follow" in body and SHOWN in body
    assert queued(world.redis) == []
    [(_, _, text, state)] = texts(world)
    assert state == DeliveryStatus.QUEUED  # the promise is kept in the database

    world.run_job(reconcile.reconcile)
    assert send_all(world) == [(PHONE, text)], world.tail()
    assert [status for *_, status in texts(world)] == [DeliveryStatus.SENT]


def test_a_twilio_outage_is_retried_and_the_text_goes_out_once(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    rule = {"kind": "503", "service": "twilio", "endpoint": "messages_create", "count": 1}
    world.sandbox("POST", "faults", json=rule)
    assert post(web, slug)[0] == 200
    worker = world.start_worker()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and texts(world)[0][3] != DeliveryStatus.SENT:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    [(_, _, text, status)] = texts(world)
    assert status == DeliveryStatus.SENT, world.tail()
    sent = world.sandbox("GET", "messages")["messages"]
    assert [(m["to"], m["body"]) for m in sent] == [(PHONE, text)]


def test_a_second_job_for_the_same_text_sends_nothing(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    [(text_id, *_)] = texts(world)
    queues.queue(queues.MESSAGES, world.redis).enqueue(entry.send_outbound, text_id)
    worker = world.start_worker(burst=True)
    assert worker.wait(timeout=60) == 0, world.tail()
    assert len(world.sandbox("GET", "messages")["messages"]) == 1


def test_a_stop_after_queueing_stops_the_text(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert post(web, slug)[0] == 200
    with transaction(world.settings.database_url) as session:
        fan, _ = fans.by_phone(session, PHONE)
        consent.opt_out(session, fan.id, "sms", OUR_NUMBER, reason="stop")
    worker = world.start_worker(burst=True)
    assert worker.wait(timeout=60) == 0, world.tail()
    assert world.sandbox("GET", "messages")["messages"] == []
    assert [status for *_, status in texts(world)] == [DeliveryStatus.CANCELLED]


def test_a_closed_or_unknown_campaign_takes_no_number(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    token = token_of(open_page(web, slug))
    response = web.post(
        "/c/no-such-drop/text-me", data={"phone": PHONE, "csrf_token": token, "region": "US"}
    )
    assert response.status_code == 404
    assert counts(world) == NOTHING


def numbers(count: int) -> list[str]:
    return [f"+141555501{n:02d}" for n in range(count)]


def test_one_network_may_ask_for_ten_numbers_an_hour(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    assert [post(web, slug, number)[0] for number in numbers(10)] == [200] * 10
    status, body = post(web, slug, "+14155550150")
    assert status == 429 and "from your network" in body
    assert counts(world)["web_events"] == 10 and len(texts(world)) == 10  # nothing for it
    assert post(web, slug, "+14155550150", peer="198.51.100.7")[0] == 200  # another network


@pytest.mark.parametrize("proxies", [0, 1])
def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(
    world: DropWorld, slug: str, proxies: int
) -> None:
    app = create_app(world.settings.with_overrides(trusted_proxies=proxies))
    web = app.test_client()
    answers = [
        post(web, slug, number, peer="10.0.0.2", forwarded_for=f"203.0.113.{i}")[0]
        for i, number in enumerate(numbers(11))
    ]
    # Behind one trusted proxy each fan is their own network; with none, the header could be
    # anything a client wrote, and all eleven come from the proxy's one address.
    assert answers == ([200] * 11 if proxies else [200] * 10 + [429])


def test_twilio_saying_the_number_opted_out_cancels_the_text_and_records_the_stop(
    web: FlaskClient, slug: str, world: DropWorld
) -> None:
    world.sandbox("POST", "config", json={"twilio_opted_out": [PHONE]})
    assert post(web, slug)[0] == 200
    worker = world.start_worker(burst=True)
    assert worker.wait(timeout=60) == 0, world.tail()
    assert [state for *_, state in texts(world)] == [DeliveryStatus.CANCELLED]
    with transaction(world.settings.database_url) as session:
        fan, _ = fans.by_phone(session, PHONE)
        assert consent.opted_out(session, fan.id, "sms", OUR_NUMBER)
