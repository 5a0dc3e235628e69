"""The stats endpoints of /api/v1 on seeded events: their JSON carries the stats services'
numbers (funnel, breakdowns, series, per-message stats, the team's releases), filters are
checked and refusals name the query parameter, a read token is enough."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Event
from core.services import message_stats, stats
from core.services.stats_filters import parse_filters
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.api_helpers import ApiTeam, call, is_problem, make_team
from tests.integration.artist_helpers import put_in_team
from tests.integration.funnel_helpers import delivery, message, opted_in_fan
from tests.integration.stats_api_helpers import SERIES, H, base, got, json_steps, steps_of, story


def test_the_funnel_is_the_services_with_and_without_filters(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    story(db, api_team)
    whole = got(api, base(api_team) + "/funnel", api_team.read)
    assert json_steps(whole["steps"]) == steps_of(stats.funnel(db, api_team.campaign_id))
    assert [s["count"] for s in whole["steps"]][:5] == [3, 3, 2, 2, 1]
    assert whole["filters"] == dict.fromkeys(("source", "channel", "country", "region",
                                              "since", "until"))  # fmt: skip
    query = "?source=tiktok&country=us&since=2020-01-01T00:00:00%2B02:00"
    some = got(api, base(api_team) + "/funnel" + query, api_team.read)
    expected = stats.funnel(db, api_team.campaign_id,
                            parse_filters(source="tiktok", country="us",
                                          since="2020-01-01T00:00:00+02:00"))  # fmt: skip
    assert json_steps(some["steps"]) == steps_of(expected)
    assert some["steps"][0] == {"name": "page_view", "count": None, "rate": None}
    assert some["steps"][1]["count"] == 1
    assert some["filters"]["country"] == "US"
    assert some["filters"]["since"] == "2019-12-31T22:00:00Z"


@pytest.mark.parametrize("dimension", stats.DIMENSIONS)
def test_each_breakdown_is_the_services(
    api: FlaskClient, db: Session, api_team: ApiTeam, dimension: str
) -> None:
    story(db, api_team)
    found = got(api, f"{base(api_team)}/breakdown/{dimension}?channel=sms", api_team.read)
    rows = stats.breakdown(db, api_team.campaign_id, dimension, parse_filters(channel="sms"))
    assert found["dimension"] == dimension
    assert [(r["value"], json_steps(r["steps"])) for r in found["data"]] == [
        (r.value, steps_of(r)) for r in rows.rows
    ]
    assert found["data"], "the story has sms fans in every dimension"


def test_the_source_breakdown_counts_views_and_fans(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    story(db, api_team)
    found = got(api, base(api_team) + "/breakdown/source", api_team.read)
    counts = {r["value"]: [s["count"] for s in r["steps"]][:2] for r in found["data"]}
    assert counts == {"tiktok": [2, 2], "ig": [0, 1], None: [1, 0]}
    assert [r["value"] for r in found["data"]] == ["tiktok", "ig", None]


@pytest.mark.parametrize("name", sorted(SERIES))
def test_each_series_is_the_services_in_utc(
    api: FlaskClient, db: Session, api_team: ApiTeam, name: str
) -> None:
    story(db, api_team)
    found = got(api, f"{base(api_team)}/series/{name}?country=US", api_team.read)
    series = SERIES[name](db, api_team.campaign_id, parse_filters(country="US"))
    assert found["name"] == name and found["filters"]["country"] == "US"
    assert found["bucket_seconds"] == series.step.total_seconds()
    assert [p["count"] for p in found["data"]] == [p.count for p in series.points]
    assert [datetime.fromisoformat(p["start"]) for p in found["data"]] == [
        p.start for p in series.points
    ]
    assert all(p["start"].endswith("Z") for p in found["data"])
    assert sum(p["count"] for p in found["data"]) == sum(p.count for p in series.points)


def test_the_drop_hour_shows_the_save_in_its_minute(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    release = story(db, api_team)
    found = got(api, base(api_team) + "/series/saves-by-minute", api_team.read)
    assert len(found["data"]) == 60 and found["bucket_seconds"] == 60
    counted = [p["start"] for p in found["data"] if p["count"]]
    saved_at = (release + 150 * timedelta(seconds=1)).replace(second=0, microsecond=0)
    assert counted == [saved_at.isoformat().replace("+00:00", "Z")]


def test_per_message_stats_are_the_services(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    campaign = api_team.campaign_id
    t = utcnow().replace(microsecond=0) - timedelta(days=2)
    f1, f2, f3 = (opted_in_fan(db, campaign, f"+1415555030{n}")[0] for n in range(3))
    countdown = message(db, campaign, "countdown", t)
    delivery(db, countdown, f1, status="delivered", sent_at=t)
    delivery(db, countdown, f2, status="failed", sent_at=t)
    delivery(db, countdown, f3, status="held")
    for fan in (f1, f2):
        db.add(Event(kind="stop", fan_id=fan, at=t + H, channel="sms"))
    db.add(Event(kind="link_click", fan_id=f1, at=t + 2 * H, campaign_id=campaign))
    db.commit()
    found = got(api, base(api_team) + "/messages", api_team.read)
    rows = message_stats.for_campaign(db, campaign)
    names = ("sent", "delivered", "failed", "held", "skipped", "opt_outs", "clicks")
    assert [(m["id"], m["kind"], *(m[n] for n in names)) for m in found["data"]] == [
        (r.message_id, r.kind, *(getattr(r, n) for n in names)) for r in rows
    ]
    assert [m[n] for n in names for m in found["data"]] == [2, 1, 1, 1, 0, 2, 1]
    assert found["data"][0]["send_at"] == t.isoformat().replace("+00:00", "Z")


def test_the_releases_are_the_teams_only(
    api: FlaskClient, db: Session, settings: Settings, api_team: ApiTeam
) -> None:
    story(db, api_team)
    later = make_campaign(db, "LATER", artist="Artist of Team A",
                          release_at=(utcnow() + timedelta(days=30)).isoformat())  # fmt: skip
    put_in_team(db, later.artist_id, api_team.team_id)
    stranger = make_team(settings, db, "Team B", "OTHERB")
    found = got(api, "/api/v1/stats/releases", api_team.read)
    rows = stats.team_comparison(db, api_team.team_id)
    assert [r["campaign_id"] for r in found["data"]] == [later.id, api_team.campaign_id]
    assert [(r["optins"], r["authorized"], r["authorization_rate"], r["saves"])
            for r in found["data"]] == [
        (r.optins, r.authorized, r.authorization_rate, r.saves) for r in rows
    ]  # fmt: skip
    assert found["data"][1]["optins"] == 3 and found["data"][0]["authorization_rate"] is None
    assert found["data"][0]["release_at"].endswith("Z")
    theirs = got(api, "/api/v1/stats/releases", stranger.read)["data"]
    assert [r["campaign_id"] for r in theirs] == [stranger.campaign_id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("channel=fax", "channel"),
        ("country=USA", "country"),
        ("since=yesterday", "since"),
        ("since=2026-12-01T00:00:00", "since"),
        ("since=0001-01-01T00:00:00%2B01:00", "since"),
        ("since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until"),
        ("source=" + "x" * 33, "source"),
        ("region=CA%E2%80%AE", "region"),
    ],
)
@pytest.mark.parametrize("part", ["funnel", "breakdown/country", "series/optins-hourly"])
def test_a_bad_filter_is_a_422_naming_the_parameter(
    api: FlaskClient, api_team: ApiTeam, query: str, field: str, part: str
) -> None:
    found = is_problem(call(api, "GET", f"{base(api_team)}/{part}?{query}", api_team.read), 422)
    assert list(found["errors"]) == [field]
    assert found["detail"].startswith(field + ": ")


@pytest.mark.parametrize(("part", "field"), [("breakdown/planet", "dimension"),
                                             ("series/optins-weekly", "name")])  # fmt: skip
def test_an_unknown_breakdown_or_series_is_a_422_naming_it(
    api: FlaskClient, api_team: ApiTeam, part: str, field: str
) -> None:
    found = is_problem(call(api, "GET", f"{base(api_team)}/{part}", api_team.read), 422)
    assert list(found["errors"]) == [field]


def test_a_read_token_is_enough_and_a_token_is_needed(api: FlaskClient, api_team: ApiTeam) -> None:
    paths = [base(api_team) + p for p in ("/funnel", "/breakdown/source",
                                          "/series/optins-daily", "/messages")]  # fmt: skip
    paths.append("/api/v1/stats/releases")
    for path in paths:
        got(api, path, api_team.read)
        is_problem(call(api, "GET", path, None), 401)
    assert got(api, paths[0], api_team.write) == got(api, paths[0], api_team.read)


def test_the_document_describes_the_stats_operations(api: FlaskClient) -> None:
    doc = got(api, "/api/v1/openapi.json", "")
    funnel = doc["paths"]["/api/v1/campaigns/{campaign_id}/stats/funnel"]["get"]
    query = [p["name"] for p in funnel["parameters"] if p["in"] == "query"]
    assert query == ["source", "channel", "country", "region", "since", "until"]
    assert {"200", "401", "404", "422", "429"} <= set(funnel["responses"])
    breakdown = doc["paths"]["/api/v1/campaigns/{campaign_id}/stats/breakdown/{dimension}"]
    dimension = [p for p in breakdown["get"]["parameters"] if p["name"] == "dimension"]
    assert dimension[0]["schema"] == {"enum": list(stats.DIMENSIONS)}
    series = doc["paths"]["/api/v1/campaigns/{campaign_id}/stats/series/{name}"]["get"]
    assert series["parameters"][1]["schema"] == {"enum": sorted(SERIES)}
    assert "/api/v1/stats/releases" in doc["paths"]
