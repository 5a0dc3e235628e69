"""/api/v1/campaigns: list, get, create, update, close, on the artist app's services and
checks; refusals are 422 problem+json naming each field."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign
from core.timeutil import utcnow
from tests.integration.api_helpers import ApiTeam, call, is_problem
from tests.integration.dashboard_helpers import add_fan

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"


def new_campaign(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "artist": "Artist of Team A",
        "title": "Second Single",
        "keyword": "SECOND",
        "release_at": (utcnow() + timedelta(days=10)).isoformat(),
        "timezone": "Europe/Berlin",
        "spotify_album_id": ALBUM,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_list_and_get_give_the_campaign_with_its_counts(
    api: FlaskClient, api_team: ApiTeam
) -> None:
    listed = call(api, "GET", "/api/v1/campaigns", api_team.read).get_json()["data"]
    one = call(api, "GET", f"/api/v1/campaigns/{api_team.campaign_id}", api_team.read).get_json()
    assert listed == [one]
    assert one["keyword"] == "SECRETA" and one["status"] == "upcoming"
    assert one["fans"] == 0 and one["link"].endswith("/c/" + one["slug"])
    assert one["release_at"].endswith("+00:00")


def test_create_makes_the_teams_campaign_and_logs_it(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    made = call(api, "POST", "/api/v1/campaigns", api_team.write, new_campaign())
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert made.headers["Location"].endswith(f"/api/v1/campaigns/{body['id']}")
    assert body["keyword"] == "SECOND" and body["timezone"] == "Europe/Berlin"
    assert body["follow"] is True
    listed = call(api, "GET", "/api/v1/campaigns", api_team.read).get_json()["data"]
    assert {c["id"] for c in listed} == {api_team.campaign_id, body["id"]}
    entry = db.scalar(select(AuditEntry).where(AuditEntry.campaign_id == body["id"]))
    assert entry is not None and entry.action == "created" and entry.user_id == api_team.owner_id


def test_create_refusals_name_every_field(api: FlaskClient, db: Session, api_team: ApiTeam) -> None:
    body = new_campaign(keyword="SECRETA", release_at="tomorrow", timezone="Mars/Base", upc="12")
    found = is_problem(call(api, "POST", "/api/v1/campaigns", api_team.write, body), 422)
    errors = found["errors"]
    assert isinstance(errors, dict)
    assert {"keyword", "release_at", "timezone", "spotify_album_id"} <= set(errors), errors
    assert "--" not in " ".join(errors.values())
    assert db.scalar(select(Campaign.id).where(Campaign.title == "Second Single")) is None


def test_a_past_release_needs_force(api: FlaskClient, api_team: ApiTeam) -> None:
    past = (utcnow() - timedelta(days=1)).isoformat()
    found = is_problem(
        call(api, "POST", "/api/v1/campaigns", api_team.write, new_campaign(release_at=past)), 422
    )
    assert '"force": true' in str(found["errors"])
    forced = new_campaign(release_at=past, force=True)
    assert call(api, "POST", "/api/v1/campaigns", api_team.write, forced).status_code == 201


def test_bodies_are_checked_against_the_schema(api: FlaskClient, api_team: ApiTeam) -> None:
    body = {**new_campaign(), "follow": "yes", "colour": "red"}
    del body["title"]
    found = is_problem(call(api, "POST", "/api/v1/campaigns", api_team.write, body), 422)
    assert found["errors"] == {
        "title": "required",
        "colour": "not a field of this request",
        "follow": "true or false",
    }


def test_update_changes_what_is_sent_and_keeps_the_rest(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    path = f"/api/v1/campaigns/{api_team.campaign_id}"
    changed = call(api, "PATCH", path, api_team.write, {"title": "Renamed", "follow": False})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["title"] == "Renamed" and body["follow"] is False and body["keyword"] == "SECRETA"
    entry = db.scalar(select(AuditEntry.detail).where(AuditEntry.action == "edited"))
    assert entry == "title, follow"


def test_update_refuses_what_fans_were_promised(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    add_fan(db, api_team.campaign_id)
    db.commit()
    path = f"/api/v1/campaigns/{api_team.campaign_id}"
    found = is_problem(call(api, "PATCH", path, api_team.write, {"keyword": "OTHER"}), 422)
    assert set(found["errors"]) == {"keyword"}
    assert call(api, "GET", path, api_team.read).get_json()["keyword"] == "SECRETA"


def test_close_frees_the_keyword_once(api: FlaskClient, api_team: ApiTeam) -> None:
    path = f"/api/v1/campaigns/{api_team.campaign_id}"
    first = call(api, "POST", path + "/close", api_team.write).get_json()
    assert first["closed_now"] is True and first["campaign"]["status"] == "closed"
    again = call(api, "POST", path + "/close", api_team.write).get_json()
    assert again["closed_now"] is False
    found = is_problem(call(api, "PATCH", path, api_team.write, {"title": "Late"}), 422)
    assert "closed" in str(found["errors"])
    reuse = call(api, "POST", "/api/v1/campaigns", api_team.write, new_campaign(keyword="SECRETA"))
    assert reuse.status_code == 201


def test_update_takes_artwork_at_an_https_address(api: FlaskClient, api_team: ApiTeam) -> None:
    path = f"/api/v1/campaigns/{api_team.campaign_id}"
    found = is_problem(
        call(api, "PATCH", path, api_team.write, {"artwork_url": "http://x/a.png"}), 422
    )
    assert list(found["errors"]) == ["artwork_url"]
    url = "https://cdn.example.com/cover.png"
    assert (
        call(api, "PATCH", path, api_team.write, {"artwork_url": url}).get_json()["artwork_url"]
        == url
    )
