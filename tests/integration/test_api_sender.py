"""/api/v1/campaigns/<id>/sender: the SMS sender sends are planned and paced at, read with a
read token and set with a write token, refused by name as `presave campaign sender` refuses."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign
from tests.integration.api_helpers import ApiTeam, call, is_problem


def path(team: ApiTeam) -> str:
    return f"/api/v1/campaigns/{team.campaign_id}/sender"


def stored(db: Session, team: ApiTeam) -> tuple[str, int, int | None]:
    db.expire_all()
    campaign = db.get(Campaign, team.campaign_id)
    assert campaign is not None
    return campaign.sms_sender, campaign.sms_sender_numbers, campaign.sms_daily_cap


def test_the_default_sender_is_a_long_code(api: FlaskClient, api_team: ApiTeam) -> None:
    found = call(api, "GET", path(api_team), api_team.read)
    assert found.status_code == 200
    assert found.get_json() == {
        "slug": "artist-of-team-a-single-secreta", "kind": "long_code", "numbers": 1,
        "daily_cap": None, "mps": 1.0, "twilio_mps_override": None,
    }  # fmt: skip


def test_a_write_token_sets_it_member_by_member(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    body = {"kind": "messaging_service", "numbers": 12, "daily_cap": 50000}
    done = call(api, "PUT", path(api_team), api_team.write, body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["mps"] == 12.0
    assert stored(db, api_team) == ("messaging_service", 12, 50000)
    # A member not sent stays; null removes the cap.
    assert call(api, "PUT", path(api_team), api_team.write, {"daily_cap": None}).status_code == 200
    assert stored(db, api_team) == ("messaging_service", 12, None)
    about = select(AuditEntry.action).where(AuditEntry.campaign_id == api_team.campaign_id)
    assert list(db.scalars(about.order_by(AuditEntry.id))) == ["sender_changed"] * 2


def test_refusals_name_the_member_and_change_nothing(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    for body, member in [
        ({"kind": "toll_free", "numbers": 3}, "numbers"),  # core: only a Messaging Service
        ({"kind": "pigeon"}, "kind"),  # the schema
        ({"numbers": 401}, "numbers"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"speed": 3}, "speed"),
    ]:
        found = is_problem(call(api, "PUT", path(api_team), api_team.write, body), 422)
        assert member in found["errors"], (body, found)
        assert "--" not in str(found["errors"]), found  # the API's words, not the CLI's flags
    assert stored(db, api_team) == ("long_code", 1, None)
    about = select(AuditEntry).where(AuditEntry.campaign_id == api_team.campaign_id)
    assert db.scalars(about).all() == []


def test_a_read_token_cannot_set_it(api: FlaskClient, db: Session, api_team: ApiTeam) -> None:
    is_problem(call(api, "PUT", path(api_team), api_team.read, {"kind": "short_code"}), 403)
    assert stored(db, api_team) == ("long_code", 1, None)
