"""The team's campaigns in the artist app: only the team's, with their history."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import audit, campaign_edit, team_campaigns
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team
from tests.integration.campaign_form_data import campaign_form


def test_a_team_sees_its_campaigns_and_not_another_teams(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    alice, bob = app.test_client(), app.test_client()
    user_a, team_a = signed_in(alice, "Team A")
    _, team_b = signed_in(bob, "Team B")
    theirs = make_campaign(db, "BLOOM", timezone="America/New_York")
    put_in_team(db, theirs.artist_id, team_a)
    audit.record(db, team_a, user_a, "scheduled", theirs.id, "1 day left")
    db.commit()

    listing = html.unescape(alice.get("/app/campaigns").get_data(as_text=True))
    assert f'href="/app/campaigns/{theirs.id}"' in listing and "Mira Vale" in listing
    overview = alice.get(f"/app/campaigns/{theirs.id}")
    body = html.unescape(overview.get_data(as_text=True))
    assert overview.status_code == 200 and "BLOOM" in body and "(America/New_York)" in body
    assert "owner@team-a.example.com scheduled (1 day left)" in " ".join(body.split())
    assert f'href="/app/campaigns/{theirs.id}/messages"' in body  # the campaign sub-navigation
    assert overview.headers["Content-Security-Policy"].startswith("default-src 'self'")

    hidden = bob.get(f"/app/campaigns/{theirs.id}")
    assert hidden.status_code == 404 and "belongs to another team" in hidden.get_data(as_text=True)
    assert hidden.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert theirs.title not in hidden.get_data(as_text=True)
    assert bob.get("/app/campaigns/999999").status_code == 404
    assert theirs.title not in bob.get("/app/campaigns").get_data(as_text=True)
    assert team_b != team_a


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/app/campaigns/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/app/sign-in?next=")
    assert client.get("/app/").headers["Location"] == "/app/campaigns"
    assert client.get("/nowhere").status_code == 404  # outside /app: Flask's own page, as before


def new_form(csrf: str, **changes: str) -> dict[str, object]:
    """A valid new-campaign form, with `changes`."""
    return campaign_form(csrf, **changes)


def test_the_list_shows_status_zone_countdown_and_counts(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    soon = make_campaign(db, "SOON", release_at="2030-01-02T03:00:00+00:00", timezone="Asia/Tokyo")
    put_in_team(db, soon.artist_id, team)
    closed = make_campaign(db, "GONE", title="Gone Song")
    campaign_edit.close(db, closed.id)
    db.commit()
    body = " ".join(html.unescape(client.get("/app/campaigns").get_data(as_text=True)).split())
    assert '<th scope="col">Authorized</th>' in body and "SOON" in body
    assert "Wed 2 Jan 2030, 12:00 JST (Asia/Tokyo)" in body  # the campaign's zone
    assert "Wednesday 2 January 2030, 03:00 UTC" in body  # and UTC
    assert 'role="timer"' in body and ">in " in body and " days" in body  # the countdown
    assert ">upcoming<" in body and ">closed<" in body  # status as text
    assert 'href="/app/campaigns/new"' in body


def test_countdown_words() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert team_campaigns.countdown(now + timedelta(days=3, hours=4, minutes=5), now) == (
        "in 3 days 4 h"
    )
    assert team_campaigns.countdown(now + timedelta(hours=1, minutes=2), now) == "in 1 h 2 min"
    assert team_campaigns.countdown(now - timedelta(days=1), now) == "1 day ago"
    assert team_campaigns.countdown(now + timedelta(seconds=20), now) == "now"


def test_a_new_campaign_is_the_teams_and_logged(app: Flask, db: Session, signed_in: SignIn) -> None:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    csrf = csrf_of(client, "/app/campaigns/new")
    response = client.post("/app/campaigns/new", data=new_form(csrf))
    assert response.status_code == 302, response.get_data(as_text=True)
    made = db.scalar(select(Campaign).where(Campaign.keyword == "MOONS"))
    assert made is not None and made.artist.team_id == team
    assert made.release_at == datetime(2030, 3, 5, 5, 0, tzinfo=UTC)  # midnight in New York
    assert made.timezone == "America/New_York" and made.action_follow
    assert response.headers["Location"] == f"/app/campaigns/{made.id}"
    page = " ".join(
        html.unescape(client.get(response.headers["Location"]).get_data(as_text=True)).split()
    )
    assert "owner@team-a.example.com created (Paper Moons)" in page
    assert "https://presave.example.test/c/" + made.slug in page


def test_a_refused_new_campaign_names_each_field_keeps_input_and_writes_nothing(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client = app.test_client()
    signed_in(client, "Team A")
    make_campaign(db, "TAKEN")
    csrf = csrf_of(client, "/app/campaigns/new")
    bad = new_form(
        csrf, title="", keyword="taken", timezone="Mars/Base", upc="123456789012",
        release_local="2001-01-01T00:00",
    )  # fmt: skip
    response = client.post("/app/campaigns/new", data=bad)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="title-error"' in body
    assert 'id="keyword-error">TAKEN is already used by an open campaign' in body
    assert (
        "id=\"timezone-error\">An IANA time zone such as America/New_York, not 'Mars/Base'" in body
    )
    assert 'id="spotify_album_id-error">Give one of Spotify album id, UPC, ISRC, not' in body
    assert 'value="Mars/Base"' in body and 'value="taken"' in body  # input kept
    assert db.scalars(select(Campaign)).all().__len__() == 1  # nothing written
    past = client.post("/app/campaigns/new", data=new_form(csrf, release_local="2001-01-01T00:00"))
    said = html.unescape(past.get_data(as_text=True))
    assert (
        'id="release_local-error">' in said
        and 'tick "Save it although that time has passed"' in said
    )
    forced = new_form(csrf, release_local="2001-01-01T00:00", force="y")
    assert client.post("/app/campaigns/new", data=forced).status_code == 302


def test_an_artist_of_another_team_is_refused(app: Flask, db: Session, signed_in: SignIn) -> None:
    alice, bob = app.test_client(), app.test_client()
    signed_in(alice, "Team A")
    _, team_b = signed_in(bob, "Team B")
    theirs = make_campaign(db, "BLOOM")  # Mira Vale
    put_in_team(db, theirs.artist_id, team_b)
    csrf = csrf_of(alice, "/app/campaigns/new")
    response = alice.post("/app/campaigns/new", data=new_form(csrf, artist="Mira Vale"))
    assert response.status_code == 400
    assert 'id="artist-error">That artist belongs to another team' in html.unescape(
        response.get_data(as_text=True)
    )
    assert db.scalar(select(Campaign).where(Campaign.keyword == "MOONS")) is None


def test_new_campaign_without_csrf_is_refused(app: Flask, db: Session, signed_in: SignIn) -> None:
    client = app.test_client()
    signed_in(client, "Team A")
    form = new_form("")
    del form["csrf_token"]
    assert client.post("/app/campaigns/new", data=form).status_code == 400
    assert db.scalar(select(Campaign)) is None


def test_keyword_check(app: Flask, db: Session, signed_in: SignIn) -> None:
    alice, bob = app.test_client(), app.test_client()
    _, team = signed_in(alice, "Team A")
    signed_in(bob, "Team B")
    ours = make_campaign(db, "OURS")
    put_in_team(db, ours.artist_id, team)
    assert alice.get("/app/keyword-check?keyword=fresh").get_json() == {
        "available": True,
        "reason": "",
    }
    taken = alice.get("/app/keyword-check?keyword=ours").get_json()
    assert taken["available"] is False and "already used" in taken["reason"]
    mine = alice.get(f"/app/keyword-check?keyword=ours&campaign={ours.id}").get_json()
    assert mine["available"] is True  # a campaign keeps its own keyword
    assert alice.get("/app/keyword-check?keyword=stop").get_json()["available"] is False
    assert bob.get(f"/app/keyword-check?keyword=x&campaign={ours.id}").status_code == 404
    assert app.test_client().get("/app/keyword-check?keyword=x").status_code == 302
