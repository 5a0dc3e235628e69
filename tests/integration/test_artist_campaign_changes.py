"""Editing, closing and the Discord servers of a campaign in the artist app: valid input
saves and is logged, refused input is named next to its field with nothing written, what
fans were promised stays, and another team's campaign does not exist here."""

from __future__ import annotations

import html
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign, CampaignStatus, Consent, DiscordAllowance, Fan
from core.services import artwork, schedule
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team
from tests.integration.campaign_form_data import campaign_form

GUILD = "123456789012345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def text(response: object) -> str:
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return " ".join(html.unescape(body).split())


def ours(app: Flask, db: Session, signed_in: SignIn) -> tuple[FlaskClient, Campaign, int]:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    campaign = make_campaign(db, "BLOOM")
    put_in_team(db, campaign.artist_id, team)
    return client, campaign, team


def edit_form(csrf: str, **changes: object) -> dict[str, object]:
    """The edit form of `ours`' campaign: a new title, release time and zone, unless changed."""
    form = campaign_form(
        csrf, title="Night Bloom (deluxe)", keyword="BLOOM", release_local="2031-06-01T20:00",
        timezone="Europe/Berlin",
    )  # fmt: skip
    del form["artist"]
    return form | changes


def stored(db: Session, campaign_id: int) -> Campaign:
    db.expire_all()
    found = db.get(Campaign, campaign_id)
    assert found is not None
    return found


def untouched(db: Session, campaign_id: int, title: str) -> None:
    """Nothing was written: not the campaign, no allowance, no audit entry."""
    found = stored(db, campaign_id)
    assert found.title != title and found.status == CampaignStatus.OPEN
    assert db.scalar(select(DiscordAllowance)) is None and actions(db) == []


def actions(db: Session) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_every_route_is_404_for_another_teams_campaign(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    _, campaign, _ = ours(app, db, signed_in)
    bob = app.test_client()
    signed_in(bob, "Team B")
    csrf = csrf_of(bob, "/app/campaigns/new")
    base = f"/app/campaigns/{campaign.id}"
    for path in (base, f"{base}/edit", f"{base}/close", f"{base}/discord"):
        assert bob.get(path).status_code == 404, path
    posts = {
        f"{base}/edit": edit_form(csrf, title="Stolen"),
        f"{base}/close": {"csrf_token": csrf},
        f"{base}/discord/allow": {"csrf_token": csrf, "guild_id": GUILD},
        f"{base}/discord/revoke": {"csrf_token": csrf, "guild_id": GUILD},
    }
    for path, form in posts.items():
        assert bob.post(path, data=form).status_code == 404, path
    untouched(db, campaign.id, "Stolen")


def test_posts_without_csrf_are_refused(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    base = f"/app/campaigns/{campaign.id}"
    assert client.post(f"{base}/edit", data={"title": "No token"}).status_code == 400
    assert client.post(f"{base}/close").status_code == 400
    assert client.post(f"{base}/discord/allow", data={"guild_id": GUILD}).status_code == 400
    assert client.post(f"{base}/discord/revoke", data={"guild_id": GUILD}).status_code == 400
    untouched(db, campaign.id, "No token")


def test_an_edit_saves_and_is_logged(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    path = f"/app/campaigns/{campaign.id}/edit"
    page = text(client.get(path))
    assert 'value="Night Bloom BLOOM"' in page and 'value="America/New_York"' in page
    response = client.post(path, data=edit_form(csrf_of(client, path)))
    assert response.status_code == 302
    found = stored(db, campaign.id)
    assert found.title == "Night Bloom (deluxe)" and found.timezone == "Europe/Berlin"
    assert found.release_at.isoformat() == "2031-06-01T18:00:00+00:00"  # 20:00 in Berlin
    assert actions(db) == [("edited", "title, release time, time zone")]
    assert "Saved: title, release time, time zone." in text(
        client.get(response.headers["Location"])
    )


def test_a_refused_edit_is_named_kept_and_writes_nothing(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    make_campaign(db, "TAKEN", artist="Someone Else")
    path = f"/app/campaigns/{campaign.id}/edit"
    bad = edit_form(csrf_of(client, path), keyword="taken", release_local="soon", title="Kept")
    response = client.post(path, data=bad)
    body = text(response)
    assert response.status_code == 400
    assert 'id="keyword-error">TAKEN is already used by an open campaign' in body
    assert 'id="release_local-error">A date and time, e.g. 2027-03-05 00:00' in body
    assert 'value="Kept"' in body and 'value="soon"' in body
    assert stored(db, campaign.id).title == "Night Bloom BLOOM" and actions(db) == []


def test_promised_fields_are_read_only_once_fans_joined(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    fan = Fan(phone_e164="+14155550101", country="US")
    db.add(fan)
    db.flush()
    db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel="sms", sender="x", source="sms"))
    db.commit()
    path = f"/app/campaigns/{campaign.id}/edit"
    page = text(client.get(path))
    assert "Can't be changed: fans have joined this campaign for it" in page
    assert 'disabled id="keyword"' in page and 'disabled id="spotify_album_id"' in page
    assert 'disabled id="title"' not in page  # the title may still change
    forced = client.post(path, data=edit_form(csrf_of(client, path), keyword="OTHER"))
    assert forced.status_code == 400
    assert 'id="keyword-error">Not changed: fans have joined' in text(forced)
    assert stored(db, campaign.id).keyword == "BLOOM" and actions(db) == []
    without = edit_form(csrf_of(client, path), title="Renamed")
    del without["keyword"], without["spotify_album_id"]  # disabled fields are not sent
    assert client.post(path, data=without).status_code == 302
    assert stored(db, campaign.id).title == "Renamed"


def test_every_refusal_is_shown_at_once_promised_fields_included(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    path = f"/app/campaigns/{campaign.id}/edit"
    token = csrf_of(client, path)  # the form was opened before the first fan joined
    fan = Fan(phone_e164="+14155550101", country="US")
    db.add(fan)
    db.flush()
    db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel="sms", sender="x", source="sms"))
    db.commit()
    bad = edit_form(
        token, keyword="OTHER", title="a\u202eb", release_local="soon",
        artwork_url="http://x.example/a.png",
    )  # fmt: skip
    response = client.post(path, data=bad)
    body = text(response)
    assert response.status_code == 400
    assert 'id="keyword-error">Not changed: fans have joined' in body
    assert 'id="title-error">' in body and "bidirectional" in body
    assert 'id="release_local-error">A date and time, e.g. 2027-03-05 00:00' in body
    assert 'id="artwork_url-error">An https:// address' in body
    assert 'value="OTHER"' in body and 'value="soon"' in body  # as typed
    assert stored(db, campaign.id).keyword == "BLOOM" and actions(db) == []


def test_artwork_upload_over_a_megabyte_and_url(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    path = f"/app/campaigns/{campaign.id}/edit"
    image = PNG + b"\0" * (1536 * 1024)  # 1.5 MB: over the app's 1 MB, under artwork's 2 MB
    form = edit_form(
        csrf_of(client, path), title="Night Bloom BLOOM", artwork_file=(io.BytesIO(image), "c.png")
    )
    form.update(timezone="America/New_York", release_local="")
    del form["release_local"]  # not sent: unchanged
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    url = stored(db, campaign.id).artwork_url or ""
    assert url.startswith("/artwork/") and url.endswith(".png")
    assert (artwork.folder(settings.instance_path) / url.removeprefix("/artwork/")).is_file()
    assert actions(db) == [("edited", "artwork")]
    page = text(client.get(path))
    assert f'src="{url}"' in page and 'width="320" height="320"' in page
    not_image = edit_form(csrf_of(client, path), artwork_file=(io.BytesIO(b"GIF89a..."), "x.png"))
    refused = client.post(path, data=not_image, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert 'id="artwork_file-error">A PNG, JPEG or WebP image' in text(refused)
    bad_url = client.post(
        path, data=edit_form(csrf_of(client, path), artwork_url="http://x.example/a.png")
    )
    assert 'id="artwork_url-error">An https:// address' in text(bad_url)
    assert stored(db, campaign.id).artwork_url == url
    over = PNG + b"\0" * artwork.MAX_BYTES  # just over 2 MB: the field says so
    form = edit_form(csrf_of(client, path), artwork_file=(io.BytesIO(over), "big.png"))
    refused = client.post(path, data=form, content_type="multipart/form-data")
    assert 'id="artwork_file-error">A PNG, JPEG or WebP image of at most 2 MB' in text(refused)
    huge = over * 2  # far over: the body is refused before it is read
    form = edit_form(csrf_of(client, path), artwork_file=(io.BytesIO(huge), "big.png"))
    too_big = client.post(path, data=form, content_type="multipart/form-data")
    assert too_big.status_code == 413 and "at most 2 MB" in text(too_big)
    assert too_big.headers["Content-Security-Policy"].startswith("default-src 'self'")
    good = edit_form(csrf_of(client, path), artwork_url="https://cdn.example/cover.jpg")
    assert client.post(path, data=good).status_code == 302
    assert stored(db, campaign.id).artwork_url == "https://cdn.example/cover.jpg"


def test_close_says_what_happens_then_closes_and_logs(
    app: Flask, db: Session, signed_in: SignIn, settings: Settings
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    request = schedule.Request(campaign.slug, "countdown-1d")
    schedule.add(db, settings.public_url, settings.program_name, request, utcnow())
    db.commit()
    path = f"/app/campaigns/{campaign.id}/close"
    page = text(client.get(path))
    assert "the keyword BLOOM is freed" in page.replace("<code>", "").replace("</code>", "")
    assert "1 scheduled message that have not gone out are cancelled" in page
    response = client.post(path, data={"csrf_token": csrf_of(client, path)})
    assert response.status_code == 302
    assert stored(db, campaign.id).status == CampaignStatus.CLOSED
    assert actions(db) == [("closed", "1 waiting messages cancelled")]
    assert "Closed: its keyword is free" in text(client.get(response.headers["Location"]))
    closed_edit = text(client.get(f"/app/campaigns/{campaign.id}/edit"))
    assert "This campaign is closed: it can't be changed." in closed_edit
    assert "Save changes" not in closed_edit
    refused = client.post(
        f"/app/campaigns/{campaign.id}/edit", data=edit_form(csrf_of(client, path))
    )
    assert refused.status_code == 400 and "is closed: it is not edited" in text(refused)
    again = client.post(path, data={"csrf_token": csrf_of(client, f"/app/campaigns/{campaign.id}")})
    assert again.status_code == 302 and len(actions(db)) == 1


@pytest.mark.parametrize("bad", ["", "12345", "abcdefghijklmnopqrs", "99999999999999999999"])
def test_discord_allow_refuses_a_bad_server_id(
    app: Flask, db: Session, signed_in: SignIn, bad: str
) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    page = f"/app/campaigns/{campaign.id}/discord"
    response = client.post(
        f"{page}/allow", data={"csrf_token": csrf_of(client, page), "guild_id": bad}
    )
    assert response.status_code == 400
    assert 'id="guild_id-error">A Discord server id, 17-20 digits' in text(response)
    assert f'value="{bad}"' in text(response) or not bad
    assert db.scalar(select(DiscordAllowance)) is None and actions(db) == []


def test_discord_allow_and_revoke(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, campaign, _ = ours(app, db, signed_in)
    page = f"/app/campaigns/{campaign.id}/discord"
    assert "No server is allowed yet" in text(client.get(page))
    allowed = client.post(
        f"{page}/allow", data={"csrf_token": csrf_of(client, page), "guild_id": GUILD}
    )
    assert allowed.status_code == 302
    listing = text(client.get(page))
    assert "Allowed, not set up yet" in listing and f"Revoke server {GUILD}" in listing
    assert db.scalar(select(DiscordAllowance.guild_id)) == GUILD
    client.post(f"{page}/allow", data={"csrf_token": csrf_of(client, page), "guild_id": GUILD})
    revoked = client.post(
        f"{page}/revoke", data={"csrf_token": csrf_of(client, page), "guild_id": GUILD}
    )
    assert revoked.status_code == 302 and db.scalar(select(DiscordAllowance)) is None
    assert actions(db) == [
        ("discord_allowed", f"server {GUILD}"),
        ("discord_revoked", f"server {GUILD}"),
    ]
    overview = text(client.get(f"/app/campaigns/{campaign.id}"))
    assert (
        f"discord allowed (server {GUILD})" in overview
        and f"discord revoked (server {GUILD})" in overview
    )
