"""Every artist route that names a campaign, walked as a member of another team: 404 each time.

The routes are read from the app's URL map, so a page added later is walked too; a route
with a URL argument this walk does not know fails the test until the walk learns it.
"""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from core.models import ScheduledMessage
from core.services import discord_bindings, discord_requests
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team
from tests.integration.dashboard_helpers import add_fan

CAMPAIGN_ROUTES = "/app/campaigns/<int:campaign_id>"
# What a POST to any route carries: enough to get past form parsing to the tenancy check.
FORM = {"market": "", "guild_id": "123456789012345678", "title": "Stolen", "confirm": "1"}


def campaign_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith(CAMPAIGN_ROUTES)),
        key=lambda rule: rule.rule,
    )


def url_of(rule: Rule, values: dict[str, int]) -> str:
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: teach this walk the argument(s) {sorted(unknown)}"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value))
    return path


def answer(client: FlaskClient, method: str, path: str, token: str) -> tuple[int, str]:
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={**FORM, "csrf_token": token})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_another_teams_member_gets_404_on_every_campaign_route(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    owner, stranger = app.test_client(), app.test_client()
    _, team_a = signed_in(owner, "Team A")
    signed_in(stranger, "Team B")
    campaign = make_campaign(db, "SECRET", title="Unreleased Secret Single")
    put_in_team(db, campaign.artist_id, team_a)
    fan_id = add_fan(db, campaign.id, presave="pending")
    message = ScheduledMessage(
        campaign_id=campaign.id, kind="countdown", template="one_day", send_at=utcnow()
    )
    db.add(message)
    asker = discord_requests.Asker(FORM["guild_id"], "444444444444444444", "Secret Fans")
    discord_requests.record(db, campaign.id, asker)  # a server asking to bind it
    db.commit()
    values = {"campaign_id": campaign.id, "fan_id": fan_id, "message_id": message.id}
    token = csrf_of(stranger, "/app/team")

    rules = campaign_rules(app)
    assert len(rules) >= 1, "no campaign routes found under /app/campaigns/<id>"
    walked = []
    for rule in rules:
        path = url_of(rule, values)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            status, body = answer(stranger, method, path, token)
            assert status == 404, (method, path, status)
            assert campaign.title not in body and "SECRET" not in body, (method, path)
            assert "Secret Fans" not in body, (method, path)
            walked.append(f"{method} {path}")
            if method == "GET":  # the same page for its own team is there: the walk hit a page
                assert owner.get(path).status_code in (200, 302), path

    assert walked, "nothing walked"
    downloads = {f"GET /app/campaigns/{campaign.id}/{name}" for name in ("fans.csv", "events.csv")}
    assert downloads <= set(walked), "the CSV downloads are walked too"
    assert f"GET /app/campaigns/{campaign.id}/analytics" in walked, "and the analytics page"
    db.refresh(message)
    assert message.status != "cancelled"  # no POST of the stranger's changed anything
    assert [r.guild_id for r in discord_requests.pending(db, campaign.id)] == [FORM["guild_id"]]
    assert not discord_bindings.is_allowed(db, campaign.id, FORM["guild_id"])
    for verb in ("allow", "dismiss", "revoke"):  # the Discord forms were among those walked
        assert f"POST /app/campaigns/{campaign.id}/discord/{verb}" in walked
