"""Every /api/v1 route that names an id, called with another team's write token: 404 each
time, never the other team's data. Routes come from the URL map, so a route added later is
walked too; one with an argument this walk does not know fails until the walk learns it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import ScheduledMessage
from core.settings import Settings
from core.timeutil import utcnow
from tests.integration.api_helpers import ApiTeam, call, is_problem, make_team
from tests.integration.dashboard_helpers import add_fan

BODIES = {
    "PATCH": {"title": "Stolen"},
    "POST": {"template": "countdown-1d"},
    "PUT": {"kind": "toll_free"},
}


def test_another_teams_token_gets_404_on_every_route_with_ids(
    app: Flask, api: FlaskClient, db: Session, settings: Settings, api_team: ApiTeam
) -> None:
    stranger = make_team(settings, db, "Team B", "OTHERB")
    fan_id = add_fan(db, api_team.campaign_id, presave="pending")
    message = ScheduledMessage(
        campaign_id=api_team.campaign_id,
        kind="countdown",
        template="countdown-1d",
        send_at=utcnow(),
    )
    db.add(message)
    db.commit()
    values = {
        "campaign_id": api_team.campaign_id,
        "fan_id": fan_id,
        "message_id": message.id,
        "dimension": "country",  # a stats breakdown
        "name": "optins-hourly",  # a stats series
    }
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.arguments]
    assert len(rules) >= 5
    walked = []
    for rule in rules:
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: teach this walk the argument(s) {sorted(unknown)}"
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = call(api, method, path, stranger.write, BODIES.get(method))
            is_problem(response, 404)
            text = response.get_data(as_text=True)
            assert "SECRETA" not in text and "Single" not in text, (method, path)
            walked.append(f"{method} {path}")
            owner = call(api, method, path, api_team.read) if method == "GET" else None
            assert owner is None or owner.status_code == 200, path
    assert len(walked) >= 11, walked
    assert {
        f"GET /api/v1/campaigns/{api_team.campaign_id}/stats/{part}"
        for part in ("funnel", "breakdown/country", "series/optins-hourly", "messages")
    } <= set(walked)
    events = f"/api/v1/events?campaign_id={api_team.campaign_id}"
    is_problem(call(api, "GET", events, stranger.read), 404)
    mine = call(api, "GET", "/api/v1/campaigns", stranger.read).get_json()["data"]
    assert [c["keyword"] for c in mine] == ["OTHERB"]
