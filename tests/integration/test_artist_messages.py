"""The messages pages: the timeline with the release among the messages, a new message
with the checks `presave schedule add` makes shown before saving, and cancelling."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.models import AuditEntry, Campaign, Consent, Fan, MessageStatus, ScheduledMessage
from core.services import campaign_edit, schedule
from core.settings import Settings
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team

PREVIEW_START = '<div class="message-preview">'


def text_of(response: TestResponse) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def count(db: Session, model: type) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def scheduled(
    db: Session, settings: Settings, campaign: Campaign, before: str = "1d"
) -> ScheduledMessage:
    """A countdown scheduled as `presave schedule add` does it, committed."""
    asked = schedule.Request(campaign.slug, f"countdown-{before}", before=before)
    done = schedule.add(db, settings.public_url, settings.program_name, asked, utcnow())
    db.commit()
    return done.message


OneMessage = tuple[FlaskClient, Campaign, ScheduledMessage]


@pytest.fixture
def one_message(app: Flask, db: Session, signed_in: SignIn, settings: Settings) -> OneMessage:
    """A signed-in client of the team whose campaign has one countdown scheduled."""
    client, campaign = team_campaign(db, app, signed_in)
    return client, campaign, scheduled(db, settings, campaign)


def status_of(db: Session, message_id: int) -> str:
    db.expire_all()
    message = db.get(ScheduledMessage, message_id)
    assert message is not None
    return message.status


def audit_actions(db: Session) -> list[tuple[str, str]]:
    db.expire_all()
    return [(a.action, a.detail) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def team_campaign(
    db: Session, app: Flask, signed_in: SignIn, keyword: str = "BLOOM"
) -> tuple[FlaskClient, Campaign]:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    campaign = make_campaign(db, keyword)
    put_in_team(db, campaign.artist_id, team)
    return client, campaign


def sms_fan(db: Session, campaign: Campaign, n: int, zone: str) -> None:
    fan = Fan(phone_e164=f"+1415555{n:04d}", timezone=zone)
    db.add(fan)
    db.flush()
    db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel="sms", sender="x", source="sms"))
    db.commit()


def posted(
    client: FlaskClient, campaign: Campaign, path: str = "/new", **fields: object
) -> TestResponse:
    base = f"/app/campaigns/{campaign.id}/messages"
    form: dict[str, object] = {
        "csrf_token": csrf_of(client, base + "/new"), "template": "countdown-1d",
        "when": "before", "before": "", "at": "", "channels": ["sms", "discord"], "text": "",
        "action": "preview",
    }  # fmt: skip
    form.update(fields)
    return client.post(base + path, data=form)


def preview_part(body: str) -> str:
    start = body.index(PREVIEW_START)
    return body[start:]


def test_the_timeline_lists_messages_with_the_release_among_them(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    for before in ("1d", "7d"):
        scheduled(db, settings, campaign, before)
    response = client.get(f"/app/campaigns/{campaign.id}/messages")
    body = text_of(response)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    order = [body.index(w) for w in ("countdown-7d", "countdown-1d", "Release (upcoming)")]
    assert order == sorted(order)
    assert "0 sent, 0 failed, 0 queued" in body and "scheduled" in body
    assert "(America/New_York)" in body and " UTC" in body
    assert body.count(">Cancel</button>") == 2 and 'aria-current="page">Messages' in body


def test_every_route_is_404_for_another_teams_campaign(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings
) -> None:
    _, campaign = team_campaign(db, app, signed_in)
    message = scheduled(db, settings, campaign)
    bob = app.test_client()
    signed_in(bob, "Team B")
    token = csrf_of(bob, "/app/team")
    base = f"/app/campaigns/{campaign.id}/messages"
    for path in (base, base + "/new", f"{base}/{message.id}/cancel"):
        assert bob.get(path).status_code == 404, path
    for path in (base + "/new", base + "/preview", f"{base}/{message.id}/cancel"):
        sent = {"csrf_token": token, "action": "schedule", "confirm": "yes"}
        assert bob.post(path, data=sent).status_code == 404, path
    assert count(db, ScheduledMessage) == 1 and audit_actions(db) == []
    db.expire_all()
    assert status_of(db, message.id) == MessageStatus.SCHEDULED


def test_the_new_message_form_offers_every_template(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    response = client.get(f"/app/campaigns/{campaign.id}/messages/new")
    body = text_of(response)
    assert response.status_code == 200
    assert "countdown-1d: One day to go" in body and "drop-live" in body
    assert 'aria-live="polite"' in body and "artist-messages.js" in body and " defer" in body
    assert 'name="action" value="preview"' in body and 'name="action" value="schedule"' in body
    assert 'value="countdown-1d" selected' in body and "form-error" not in body
    assert count(db, ScheduledMessage) == 0


def test_a_closed_campaign_is_refused_for_the_whole_form(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    campaign_edit.close(db, campaign.id)
    db.commit()
    response = posted(client, campaign, "/new", action="schedule")
    raw = html.unescape(response.get_data(as_text=True))
    found = re.search(r'class="form-error" role="alert">([^<]*)<', raw)
    assert response.status_code == 400 and found is not None
    assert found.group(1) == f"campaign {campaign.slug!r} is closed"
    assert count(db, ScheduledMessage) == 0 and audit_actions(db) == []


def test_preview_shows_the_sms_its_segments_the_spread_and_duration(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    for n, zone in enumerate(("America/New_York", "Asia/Tokyo", "Europe/Berlin")):
        sms_fan(db, campaign, n, zone)
    local = (campaign.release_at - timedelta(days=2)).astimezone(ZoneInfo("America/New_York"))
    response = posted(client, campaign, when="at", at=local.strftime("%Y-%m-%dT03:00"),
                      text="Line one\nLine two 🎉 {{ link }}")  # fmt: skip
    body = text_of(response)
    assert response.status_code == 200, body
    assert "UCS-2 (emoji or special characters)" in body and "2 segments" in body
    assert "Line one\nLine two" in html.unescape(response.get_data(as_text=True))
    assert "Discord DM" in body and "Quiet hours" in body
    assert "America/New_York" in body and "held until" in body and "at the send time" in body
    assert "(2 at the send time, 1 held for quiet hours)" in body
    assert "sending takes about 3 s at 1 message/s" in body
    assert count(db, ScheduledMessage) == 0 and audit_actions(db) == []


BAD = [
    ({"template": "no-such-template"}, "template", "no template 'no-such-template'"),
    ({"before": "0"}, "before", "a countdown goes out before the release"),
    ({"before": "banana"}, "before", None),
    ({"when": "at", "at": "2099-01-01T10:00"}, "at", "a countdown goes out before the release"),
    ({"channels": []}, "channels", "channels must be sms, discord or both"),
    ({"text": "{{ secret }}"}, "text", "unknown variable secret"),
]


@pytest.mark.parametrize(("fields", "field", "words"), BAD)
def test_a_bad_message_shows_schedule_adds_error_next_to_its_field(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings,
    fields: dict[str, object], field: str, words: str | None,
) -> None:  # fmt: skip
    client, campaign = team_campaign(db, app, signed_in)
    form = {"template": "countdown-1d", "before": "", "at": "", "text": "", "when": "before",
            "channels": "sms,discord"} | fields  # fmt: skip
    at = form["at"]
    if form["when"] == "at":
        at = f"{at}:00-05:00"
    chosen = form["channels"]
    asked = schedule.Request(
        campaign.slug, str(form["template"]),
        (str(form["before"]) or None) if form["when"] == "before" else None,
        str(at) if form["when"] == "at" else None,
        ",".join(chosen) if isinstance(chosen, list) else str(chosen), str(form["text"]) or None,
    )  # fmt: skip
    with pytest.raises(ValidationError) as raised:  # what `presave schedule add` says
        schedule.add(db, settings.public_url, settings.program_name, asked, utcnow())
    db.rollback()
    assert words is None or words in raised.value.accepted
    for action in ("preview", "schedule"):
        response = posted(client, campaign, "/new", action=action, **fields)
        raw = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400, action
        found = re.search(f'id="{field}-error">([^<]*)<', raw)
        assert found and found.group(1) == raised.value.accepted, raw
        assert raised.value.accepted in preview_part(raw)
        kept = {"template": 'value="{}" selected', "before": 'value="{}"', "at": 'value="{}"',
                "text": "{}</textarea>"}  # fmt: skip
        for name, value in fields.items():  # the input is kept
            if name in kept and value:
                assert kept[name].format(value) in raw, name
    assert count(db, ScheduledMessage) == 0 and audit_actions(db) == []


def test_scheduling_saves_one_message_and_records_it(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    response = posted(client, campaign, action="schedule", before="2d", channels=["sms"])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/app/campaigns/{campaign.id}/messages"
    db.expire_all()
    messages = list(db.scalars(select(ScheduledMessage)))
    assert len(messages) == 1 and messages[0].channels == "sms"
    assert messages[0].send_at == campaign.release_at - timedelta(days=2)
    [(action, detail)] = audit_actions(db)
    assert action == "scheduled" and detail.startswith("countdown-1d for ") and "UTC" in detail
    timeline = text_of(client.get(response.headers["Location"]))
    assert "Message scheduled for" in timeline and "countdown-1d" in timeline


def test_the_page_and_the_fragment_render_the_same_preview(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    sms_fan(db, campaign, 1, "Asia/Tokyo")
    fields = {"before": "3d", "text": "Hello {{ link }}"}
    full = posted(client, campaign, **fields).get_data(as_text=True)
    fragment = posted(client, campaign, path="/preview", **fields)
    assert fragment.status_code == 200
    part = fragment.get_data(as_text=True)
    assert part.strip().startswith(PREVIEW_START) and "<html" not in part
    assert " ".join(part.split()) in " ".join(full.split())
    bad = posted(client, campaign, path="/preview", template="nope").get_data(as_text=True)
    assert "no template 'nope'" in html.unescape(bad)
    assert count(db, ScheduledMessage) == 0


def test_posts_without_the_csrf_token_are_refused(db: Session, one_message: OneMessage) -> None:
    client, campaign, message = one_message
    base = f"/app/campaigns/{campaign.id}/messages"
    for path in (base + "/new", base + "/preview", f"{base}/{message.id}/cancel"):
        sent = {"template": "countdown-1d", "action": "schedule", "confirm": "yes"}
        assert client.post(path, data=sent).status_code == 400, path
    db.expire_all()
    assert count(db, ScheduledMessage) == 1 and audit_actions(db) == []
    assert status_of(db, message.id) == MessageStatus.SCHEDULED


def test_cancel_asks_first_then_cancels_and_records_it(
    db: Session, one_message: OneMessage
) -> None:
    client, campaign, message = one_message
    path = f"/app/campaigns/{campaign.id}/messages/{message.id}/cancel"
    token = csrf_of(client, f"/app/campaigns/{campaign.id}/messages")
    asking = client.post(path, data={"csrf_token": token})  # the timeline's Cancel button
    assert asking.status_code == 200 and "Yes, cancel this message" in text_of(asking)
    assert client.get(path).status_code == 200
    db.expire_all()
    assert status_of(db, message.id) == MessageStatus.SCHEDULED
    done = client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302
    db.expire_all()
    assert status_of(db, message.id) == MessageStatus.CANCELLED
    [(action, detail)] = audit_actions(db)
    assert action == "cancelled" and detail.startswith("countdown-1d for ")
    again = client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 409 and "cancelled already" in text_of(again)
    assert len(audit_actions(db)) == 1


def test_another_campaigns_message_cannot_be_cancelled_through_this_campaign(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    other = make_campaign(db, "OTHER")
    put_in_team(db, other.artist_id, _team_of(db, campaign))
    message = scheduled(db, settings, other)
    path = f"/app/campaigns/{campaign.id}/messages/{message.id}/cancel"
    token = csrf_of(client, f"/app/campaigns/{campaign.id}/messages")
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": token, "confirm": "yes"}).status_code == 404
    db.expire_all()
    assert status_of(db, message.id) == MessageStatus.SCHEDULED
    assert audit_actions(db) == []


def _team_of(db: Session, campaign: Campaign) -> int:
    db.expire_all()
    fresh = db.get(Campaign, campaign.id)
    assert fresh is not None and fresh.artist.team_id is not None
    return fresh.artist.team_id
