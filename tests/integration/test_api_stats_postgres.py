"""The stats endpoints on PostgreSQL (time buckets, windows and rates are computed in its
SQL): the JSON equals the stats services' numbers read from the same database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from cli import migrate
from core.models import Event
from core.services import message_stats, stats
from core.services.stats_filters import parse_filters
from core.settings import Settings
from tests.integration.api_helpers import make_team
from tests.integration.funnel_helpers import delivery, message
from tests.integration.stats_api_helpers import SERIES, H, base, got, json_steps, steps_of, story
from web import create_app


@pytest.mark.postgres
def test_the_stats_json_is_the_services_on_postgres(pg_url: str, settings: Settings) -> None:
    migrate.upgrade(pg_url)
    pg_settings = settings.with_overrides(database_url=pg_url)
    engine = create_engine(pg_url)
    with Session(bind=engine, expire_on_commit=False) as db:
        team = make_team(pg_settings, db, "Team P", "SECRETP")
        release = story(db, team)
        app = create_app(pg_settings)
        app.config["TESTING"] = True
        api = app.test_client()
        query = "?source=tiktok&since=" + (release - 50 * H).isoformat().replace("+", "%2B")
        asked = parse_filters(source="tiktok", since=(release - 50 * H).isoformat())
        funnel = got(api, base(team) + "/funnel" + query, team.read)
        assert json_steps(funnel["steps"]) == steps_of(stats.funnel(db, team.campaign_id, asked))
        assert [s["count"] for s in funnel["steps"]][:2] == [0, 1]  # the GB fan, not the US one
        for dimension in stats.DIMENSIONS:
            found = got(api, f"{base(team)}/breakdown/{dimension}", team.read)["data"]
            rows = stats.breakdown(db, team.campaign_id, dimension).rows
            assert [(r["value"], json_steps(r["steps"])) for r in found] == [
                (r.value, steps_of(r)) for r in rows
            ]
        for name, service in SERIES.items():
            found = got(api, f"{base(team)}/series/{name}", team.read)["data"]
            points = service(db, team.campaign_id, parse_filters())
            assert [(p["start"], p["count"]) for p in found] == [
                (p.start.isoformat().replace("+00:00", "Z"), p.count) for p in points.points
            ]
        sent = release - 3 * 24 * H
        first_optin = select(Event.fan_id).where(Event.kind == "optin").order_by(Event.id)
        fan = db.scalar(first_optin.limit(1))
        assert fan is not None
        countdown = message(db, team.campaign_id, "countdown", sent)
        delivery(db, countdown, fan, status="delivered", sent_at=sent)
        db.add(Event(kind="stop", fan_id=fan, at=sent + 23 * H, channel="sms"))
        db.add(Event(kind="stop", fan_id=fan, at=sent + timedelta(days=2), channel="sms"))
        db.commit()
        found = got(api, base(team) + "/messages", team.read)["data"]
        numbers = message_stats.for_campaign(db, team.campaign_id)
        assert [(m["id"], m["delivered"], m["opt_outs"]) for m in found] == [
            (r.message_id, r.delivered, r.opt_outs) for r in numbers
        ]
        assert (found[0]["delivered"], found[0]["opt_outs"]) == (1, 1)
    engine.dispose()
