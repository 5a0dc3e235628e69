"""A team's campaign with a story of events around its release, and reading the stats
endpoints' JSON, for the API stats tests (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import stats, stats_series
from tests.integration.api_helpers import ApiTeam, call
from tests.integration.rollup_helpers import make_fans, record_at

H = timedelta(hours=1)
SERIES = {
    "optins-daily": stats_series.optins_daily,
    "optins-hourly": stats_series.optins_hourly,
    "saves-by-minute": stats_series.saves_by_minute,
}


def base(team: ApiTeam) -> str:
    return f"/api/v1/campaigns/{team.campaign_id}/stats"


def got(api: FlaskClient, path: str, token: str) -> dict[str, Any]:
    """The JSON of a 200 answer."""
    response = call(api, "GET", path, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    found = response.get_json()
    assert isinstance(found, dict)
    return found


def story(db: Session, team: ApiTeam) -> datetime:
    """Three fans and three page views around the team's release: two fans from tiktok (one
    in the US who authorized and saved, one in GB who only opted in), one from ig on
    Discord who authorized. Returns the release time."""
    release = db.get(Campaign, team.campaign_id).release_at  # type: ignore[union-attr]
    campaign = team.campaign_id
    a, b, c = make_fans(db, 3)
    before = release - 3 * 24 * H
    for at, source in ((before, "tiktok"), (before, "tiktok"), (release - H, None)):
        record_at(db, at, "page_view", campaign_id=campaign, source=source)
    record_at(db, before, "optin", campaign_id=campaign, fan_id=a, channel="sms",
              source="tiktok", country="US", region="CA")  # fmt: skip
    record_at(db, release - 2 * H, "optin", campaign_id=campaign, fan_id=b, channel="sms",
              source="tiktok", country="GB")  # fmt: skip
    record_at(db, release - H, "optin", campaign_id=campaign, fan_id=c, channel="discord",
              source="ig")  # fmt: skip
    for fan in (a, c):
        record_at(db, release - H, "link_click", campaign_id=campaign, fan_id=fan)
        record_at(db, release - H, "spotify_authorized", campaign_id=campaign, fan_id=fan)
    record_at(db, release + 150 * timedelta(seconds=1), "saved", campaign_id=campaign, fan_id=a,
              country="US")  # fmt: skip
    db.commit()
    return release


def steps_of(found: stats.Funnel | stats.BreakdownRow) -> list[tuple[str, int | None, Any]]:
    return [(s.name, s.count, s.rate) for s in found.steps]


def json_steps(steps: list[dict[str, Any]]) -> list[tuple[str, int | None, Any]]:
    return [(s["name"], s["count"], s["rate"]) for s in steps]
