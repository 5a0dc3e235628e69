"""The artist's fan pages: the filtered list in keyset pages, a fan's timeline."""

from __future__ import annotations

import html
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team
from tests.integration.dashboard_helpers import add_fan


def world(app: Flask, db: Session, signed_in: SignIn) -> tuple[FlaskClient, FlaskClient, int]:
    """(our client, another team's client, our campaign id)."""
    ours, theirs = app.test_client(), app.test_client()
    _, team = signed_in(ours, "Team A")
    signed_in(theirs, "Team B")
    campaign = make_campaign(db, "BLOOM", timezone="Europe/Paris")
    put_in_team(db, campaign.artist_id, team)
    return ours, theirs, campaign.id


def text(response: object) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())  # type: ignore[attr-defined]


def test_the_list_pages_by_cursor_and_filters(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, theirs, cid = world(app, db, signed_in)
    start = utcnow() - timedelta(days=2)
    fans = [add_fan(db, cid, joined=start + timedelta(minutes=i)) for i in range(55)]
    saved = add_fan(db, cid, presave="saved", joined=start - timedelta(days=1))
    discord = add_fan(db, cid, channel="discord", joined=start - timedelta(days=1, hours=1))
    db.commit()

    first = ours.get(f"/app/campaigns/{cid}/fans")
    body = text(first)
    assert first.status_code == 200
    assert f"/app/campaigns/{cid}/fans/{fans[-1]}" in body and "+14" in body
    assert f"/app/campaigns/{cid}/fans/{saved}" not in body, "50 a page, newest first"
    assert "(Europe/Paris)" in body and "Opted in" in body and "First page" not in body
    cursor = html.unescape(first.get_data(as_text=True)).split("after=")[1].split('"')[0]
    second = text(ours.get(f"/app/campaigns/{cid}/fans?after={cursor}"))
    assert f"/fans/{saved}" in second and f"/fans/{fans[0]}" in second and "First page" in second
    assert f"/fans/{fans[-1]}" not in second and "Next page" not in second

    only_saved = text(ours.get(f"/app/campaigns/{cid}/fans?status=saved"))
    assert f"/fans/{saved}" in only_saved and f"/fans/{fans[0]}" not in only_saved
    assert "Saved: the release was saved" in only_saved
    on_discord = text(ours.get(f"/app/campaigns/{cid}/fans?channel=discord&status="))
    assert f"/fans/{discord}" in on_discord and "Discord user" in on_discord
    assert f"/fans/{saved}" not in on_discord

    for query, field in (
        ("after=nonsense", "after"),
        ("status=lost", "status"),
        ("channel=fax", "channel"),
    ):
        refused = ours.get(f"/app/campaigns/{cid}/fans?{query}")
        assert refused.status_code == 400 and f"{field}:" in text(refused), query
    assert theirs.get(f"/app/campaigns/{cid}/fans").status_code == 404


def test_a_fans_timeline(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, theirs, cid = world(app, db, signed_in)
    fan = add_fan(db, cid, presave="pending")
    other = make_campaign(db, "ELSE")
    stranger = add_fan(db, other.id)
    db.commit()

    page = ours.get(f"/app/campaigns/{cid}/fans/{fan}")
    body = text(page)
    assert page.status_code == 200
    assert "Joined (source: sms)" in body and "Pre-save recorded" in body and "Authorized" in body
    assert "(Europe/Paris)" in body and "+14" in body
    assert ours.get(f"/app/campaigns/{cid}/fans/{stranger}").status_code == 404
    assert theirs.get(f"/app/campaigns/{cid}/fans/{fan}").status_code == 404
