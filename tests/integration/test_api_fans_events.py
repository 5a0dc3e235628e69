"""/api/v1/campaigns/<id>/fans in keyset pages (phones masked, the web list's filters) and
/api/v1/events after a cursor, for a CRM sync."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Fan
from core.services import events
from core.timeutil import utcnow
from tests.integration.api_helpers import ApiTeam, call, is_problem
from tests.integration.dashboard_helpers import add_fan


def fans_path(team: ApiTeam, query: str = "") -> str:
    return f"/api/v1/campaigns/{team.campaign_id}/fans{query}"


def test_fans_come_in_pages_newest_first_with_phones_masked(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    start = utcnow() - timedelta(hours=1)
    ids = [add_fan(db, api_team.campaign_id, joined=start + timedelta(minutes=i)) for i in range(5)]
    db.commit()
    seen: list[int] = []
    cursor = ""
    for _ in range(3):
        page = call(api, "GET", fans_path(api_team, f"?limit=2&after={cursor}"), api_team.read)
        body = page.get_json()
        seen += [fan["id"] for fan in body["data"]]
        cursor = body["next_cursor"] or ""
    assert seen == ids[::-1] and cursor == ""
    phones = {fan.phone_e164 for fan in db.query(Fan).filter(Fan.id.in_(ids))}
    raw = call(api, "GET", fans_path(api_team, "?limit=200"), api_team.read).get_data(as_text=True)
    assert not any(phone and phone in raw for phone in phones)
    assert "opted_in" in raw


def test_fans_filter_by_status_and_channel(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    saved = add_fan(db, api_team.campaign_id, presave="saved")
    discord = add_fan(db, api_team.campaign_id, channel="discord")
    add_fan(db, api_team.campaign_id)
    db.commit()
    by_status = call(api, "GET", fans_path(api_team, "?status=saved"), api_team.read).get_json()
    assert [f["id"] for f in by_status["data"]] == [saved]
    by_channel = call(api, "GET", fans_path(api_team, "?channel=discord"), api_team.read).get_json()
    assert [f["id"] for f in by_channel["data"]] == [discord]


def test_fan_query_refusals_name_the_argument(api: FlaskClient, api_team: ApiTeam) -> None:
    refused = (
        ("?status=vip", "status"),
        ("?channel=fax", "channel"),
        ("?limit=0", "limit"),
        ("?limit=x", "limit"),
        ("?after=zzz", "after"),
    )
    for query, name in refused:
        found = is_problem(call(api, "GET", fans_path(api_team, query), api_team.read), 422)
        assert list(found["errors"]) == [name], (query, found)


def test_events_after_a_cursor_oldest_first(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    fan = add_fan(db, api_team.campaign_id)
    first = events.record(db, "optin", campaign_id=api_team.campaign_id, fan_id=fan, channel="sms")
    second = events.record(db, "link_click", campaign_id=api_team.campaign_id, fan_id=fan)
    events.record(db, "page_view", campaign_id=None)  # no campaign: no team's
    db.commit()
    page = call(api, "GET", "/api/v1/events?limit=1", api_team.read).get_json()
    assert [e["id"] for e in page["data"]] == [first] and page["next_after"] == first
    assert page["data"][0]["kind"] == "optin" and page["data"][0]["channel"] == "sms"
    rest = call(api, "GET", f"/api/v1/events?after={first}", api_team.read).get_json()
    assert [e["id"] for e in rest["data"]] == [second]
    empty = call(api, "GET", f"/api/v1/events?after={second}", api_team.read).get_json()
    assert empty == {"data": [], "next_after": second}


def test_events_of_one_campaign_and_refused_arguments(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    events.record(db, "optin", campaign_id=api_team.campaign_id)
    db.commit()
    one = f"/api/v1/events?campaign_id={api_team.campaign_id}"
    assert len(call(api, "GET", one, api_team.read).get_json()["data"]) == 1
    for query, name in (
        ("after=-1", "after"),
        ("limit=1001", "limit"),
        ("campaign_id=x", "campaign_id"),
    ):
        found = is_problem(call(api, "GET", f"/api/v1/events?{query}", api_team.read), 422)
        assert list(found["errors"]) == [name]
