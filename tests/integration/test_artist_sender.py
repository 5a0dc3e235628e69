"""The campaign's SMS sender page: what sends are planned and paced at, set from the web as
`presave campaign sender` sets it, refusals next to their field, the change in the history."""

from __future__ import annotations

import html

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign
from tests.integration.artist_helpers import SignIn, csrf_of
from tests.integration.test_artist_messages import team_campaign


def path(campaign: Campaign) -> str:
    return f"/app/campaigns/{campaign.id}/messages/sender"


def sender_of(db: Session, campaign: Campaign) -> tuple[str, int, int | None]:
    db.expire_all()
    found = db.get(Campaign, campaign.id)
    assert found is not None
    return found.sms_sender, found.sms_sender_numbers, found.sms_daily_cap


def test_the_timeline_says_the_sender_and_links_its_page(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    timeline = html.unescape(client.get(f"/app/campaigns/{campaign.id}/messages").get_data(True))
    assert "SMS sender: long code (1 text/s), no daily cap." in timeline
    assert path(campaign) in timeline
    page = html.unescape(client.get(path(campaign)).get_data(as_text=True))
    assert "1 text/s" in page and '<option selected value="long_code">' in page


def test_a_messaging_service_is_saved_and_in_the_history(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    form = {"csrf_token": csrf_of(client, path(campaign)), "kind": "messaging_service",
            "numbers": "12", "daily_cap": "50000"}  # fmt: skip
    done = client.post(path(campaign), data=form)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert done.headers["Location"].endswith(f"/app/campaigns/{campaign.id}/messages")
    assert sender_of(db, campaign) == ("messaging_service", 12, 50000)
    history = db.scalars(select(AuditEntry).where(AuditEntry.campaign_id == campaign.id)).all()
    assert [(e.action, e.detail) for e in history] == [
        (
            "sender_changed",
            "messaging service of 12 numbers (12 texts/s), at most 50,000 texts a day",
        )
    ]
    page = html.unescape(client.get(path(campaign)).get_data(as_text=True))
    assert "<dt>Sends planned at</dt><dd>12 texts/s</dd>" in page
    # The same again: nothing changes, nothing more in the history.
    again = client.post(
        path(campaign), data={**form, "csrf_token": csrf_of(client, path(campaign))}
    )
    assert again.status_code == 302
    assert db.scalars(select(AuditEntry.action)).all() == ["sender_changed"]
    # Back to a toll-free number without a cap: the pool goes back to one.
    form = {"csrf_token": csrf_of(client, path(campaign)), "kind": "toll_free", "numbers": "12",
            "daily_cap": ""}  # fmt: skip
    assert client.post(path(campaign), data=form).status_code == 302
    assert sender_of(db, campaign) == ("toll_free", 1, None)


def test_refusals_sit_next_to_their_field_and_nothing_is_saved(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    for kind, numbers, cap, field in [
        ("carrier_pigeon", "", "", "kind"),
        ("messaging_service", "401", "", "numbers"),
        ("messaging_service", "two", "", "numbers"),
        ("toll_free", "", "-5", "daily_cap"),
    ]:
        form = {"csrf_token": csrf_of(client, path(campaign)), "kind": kind, "numbers": numbers,
                "daily_cap": cap}  # fmt: skip
        refused = client.post(path(campaign), data=form)
        assert refused.status_code == 400, (kind, numbers, cap)
        body = refused.get_data(as_text=True)
        assert f'id="{field}-error"' in body, (field, body)
        assert f'value="{numbers}"' in body or field == "kind"  # what was typed is kept
    assert sender_of(db, campaign) == ("long_code", 1, None)
    assert db.scalars(select(AuditEntry)).all() == []


def test_without_its_csrf_token_nothing_is_saved(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign = team_campaign(db, app, signed_in)
    refused = client.post(path(campaign), data={"kind": "short_code"})
    assert refused.status_code == 400
    assert sender_of(db, campaign) == ("long_code", 1, None)
