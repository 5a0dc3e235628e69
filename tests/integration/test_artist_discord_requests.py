"""The campaign's Discord page lists the servers asking to bind it; Allow and Dismiss work
through CSRF forms, are logged, and another team cannot see or touch them."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign
from core.services import discord_bindings, discord_requests
from core.services.discord_requests import Asker
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team

GUILD = "111111111111111111"
OTHER = "222222222222222222"
ADMIN = "444444444444444444"


TAG = re.compile(r"<[^>]+>")


def text(response: object) -> str:
    """What the page says: tags dropped, entities read, spaces collapsed."""
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return " ".join(html.unescape(TAG.sub(" ", body)).split())


def ours(app: Flask, db: Session, signed_in: SignIn) -> tuple[FlaskClient, Campaign, str]:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    campaign = make_campaign(db, "BLOOM")
    put_in_team(db, campaign.artist_id, team)
    return client, campaign, f"/app/campaigns/{campaign.id}/discord"


def asked(db: Session, campaign: Campaign, guild: str, name: str | None, times: int = 1) -> None:
    for n in range(times):
        at = utcnow() - timedelta(hours=times - n)
        discord_requests.record(db, campaign.id, Asker(guild, ADMIN, name, "mod<b>"), now=at)
    db.commit()


def actions(db: Session) -> list[tuple[str, str]]:
    db.expire_all()
    return [(e.action, e.detail) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_page_lists_waiting_requests(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, campaign, path = ours(app, db, signed_in)
    assert "No server is asking" in text(client.get(path))
    asked(db, campaign, GUILD, "Night <Bloom> Fans", times=3)
    asked(db, campaign, OTHER, None)
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Night &lt;Bloom&gt; Fans" in page and "<Bloom>" not in page, "names are escaped"
    assert 'aria-label="Allow Night &lt;Bloom&gt; Fans (111111111111111111)"' in page
    assert f'aria-label="Dismiss server {OTHER}"' in page
    words = text(response)
    assert "Servers asking to bind it" in words and "No server is asking" not in words
    # latest asked first: OTHER (asked just now), then GUILD (three times, an hour ago last)
    other_row = words[words.index(f"{OTHER} @mod<b> {ADMIN}") :]
    assert other_row.startswith(f"{OTHER} @mod<b> {ADMIN} ")
    assert f"Night <Bloom> Fans {GUILD} @mod<b> {ADMIN}" in other_row
    guild_row = other_row[other_row.index("Night <Bloom> Fans") :]
    assert "(first " in guild_row and guild_row.split(")")[1].startswith(" 3 Allow Dismiss")


def test_allow_from_a_request_allows_and_clears_it(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign, path = ours(app, db, signed_in)
    asked(db, campaign, GUILD, "Night Bloom Fans")
    response = client.post(
        f"{path}/allow", data={"csrf_token": csrf_of(client, path), "guild_id": GUILD}
    )
    assert response.status_code == 302
    assert discord_bindings.is_allowed(db, campaign.id, GUILD)
    assert discord_requests.pending(db, campaign.id) == []
    words = text(client.get(path))
    assert f"Server {GUILD} is allowed" in words and "No server is asking" in words
    assert "Allowed, not set up yet" in words
    assert actions(db) == [("discord_allowed", f"server {GUILD}")]


def test_dismiss_hides_the_request_and_is_logged(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign, path = ours(app, db, signed_in)
    asked(db, campaign, GUILD, "Night Bloom Fans")
    form = {"csrf_token": csrf_of(client, path), "guild_id": GUILD}
    assert client.post(f"{path}/dismiss", data=form).status_code == 302
    words = text(client.get(path))
    assert f"Server {GUILD}'s request is dismissed" in words
    assert "No server is asking" in words and "Dismissed requests (1)" in words
    assert not discord_bindings.is_allowed(db, campaign.id, GUILD)
    assert actions(db) == [("discord_request_dismissed", f"server {GUILD}")]
    client.post(f"{path}/dismiss", data=form)
    assert f"Server {GUILD} had no request waiting" in text(client.get(path))
    assert len(actions(db)) == 1, "nothing dismissed twice"
    asked(db, campaign, GUILD, "Night Bloom Fans")  # asking again stays dismissed
    words = text(client.get(path))
    assert "No server is asking" in words and "asked 2 times" in words
    overview = text(client.get(f"/app/campaigns/{campaign.id}"))
    assert f"discord request dismissed (server {GUILD})" in overview


def test_bad_or_unsigned_posts_change_nothing(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, campaign, path = ours(app, db, signed_in)
    asked(db, campaign, GUILD, None)
    assert client.post(f"{path}/dismiss", data={"guild_id": GUILD}).status_code == 400
    response = client.post(
        f"{path}/dismiss", data={"csrf_token": csrf_of(client, path), "guild_id": "12<x>"}
    )
    assert response.status_code == 400 and "17-20 digits" in text(response)
    assert len(discord_requests.pending(db, campaign.id)) == 1 and actions(db) == []


def test_another_team_cannot_see_allow_or_dismiss(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    _, campaign, path = ours(app, db, signed_in)
    asked(db, campaign, GUILD, "Night Bloom Fans")
    bob = app.test_client()
    signed_in(bob, "Team B")
    csrf = csrf_of(bob, "/app/campaigns/new")
    assert bob.get(path).status_code == 404
    for verb in ("allow", "dismiss"):
        response = bob.post(f"{path}/{verb}", data={"csrf_token": csrf, "guild_id": GUILD})
        assert response.status_code == 404 and "Night Bloom Fans" not in text(response)
    assert len(discord_requests.pending(db, campaign.id)) == 1 and actions(db) == []
    assert not discord_bindings.is_allowed(db, campaign.id, GUILD)
