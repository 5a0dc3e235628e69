"""The team's campaigns in the artist app: only the team's, with their history."""

from __future__ import annotations

import html

from flask import Flask
from sqlalchemy.orm import Session

from core.services import audit
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team


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
