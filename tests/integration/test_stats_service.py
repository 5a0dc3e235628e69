"""The stats service reads the rollups: funnel, breakdowns, time series, team comparison,
with filters, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from cli import migrate
from core.models import Team
from core.services import stats, stats_series, tenancy
from core.services.stats_filters import parse_filters
from core.validation import ValidationError
from tests.factories import make_campaign
from tests.integration.rollup_helpers import make_fans, record_at

RELEASE = datetime(2026, 12, 11, 5, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture(params=["sqlite", "postgres"])
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The test database of either kind (PostgreSQL: a migrated private schema)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("db")
        return
    url = request.getfixturevalue("pg_url")
    migrate.upgrade(url)
    engine = create_engine(url)
    with Session(bind=engine, expire_on_commit=False) as pg:
        yield pg
    engine.dispose()


def _story(db: Session) -> int:
    """Four fans: two from tiktok (one in the US who saved, one in GB who only opted in),
    one from ig on Discord who authorized, one who only opened a link; three page views."""
    campaign = make_campaign(db, release_at=RELEASE.isoformat()).id
    a, b, c, d = make_fans(db, 4)
    before = RELEASE - 3 * 24 * H
    for at, source in ((before, "tiktok"), (before, "tiktok"), (RELEASE - H, None)):
        record_at(db, at, "page_view", campaign_id=campaign, source=source)
    record_at(db, before, "optin", campaign_id=campaign, fan_id=a, channel="sms",
              source="tiktok", country="US", region="CA")  # fmt: skip
    record_at(db, RELEASE - 2 * H, "optin", campaign_id=campaign, fan_id=b, channel="sms",
              source="tiktok", country="GB")  # fmt: skip
    record_at(db, RELEASE - H, "optin", campaign_id=campaign, fan_id=c, channel="discord",
              source="ig")  # fmt: skip
    for fan in (a, c):
        record_at(db, RELEASE - H, "link_click", campaign_id=campaign, fan_id=fan)
        record_at(db, RELEASE - H, "spotify_authorized", campaign_id=campaign, fan_id=fan,
                  country="US")  # fmt: skip
    record_at(db, RELEASE + timedelta(minutes=2, seconds=30), "saved", campaign_id=campaign,
              fan_id=a, country="US")  # fmt: skip
    record_at(db, RELEASE, "link_click", campaign_id=campaign, fan_id=d)
    db.commit()
    return campaign


def _counts(funnel: stats.Funnel | stats.BreakdownRow) -> list[int | None]:
    return [step.count for step in funnel.steps]


def test_the_funnel_counts_fans_once_per_step_with_rates(session: Session) -> None:
    campaign = _story(session)
    funnel = stats.funnel(session, campaign)
    assert [s.name for s in funnel.steps] == list(stats.STEPS)
    assert _counts(funnel) == [3, 3, 3, 2, 1, 0, 0]
    assert [s.rate for s in funnel.steps][:5] == [None, 1.0, 1.0, 2 / 3, 0.5]


def test_filters_combine_and_views_are_unknown_by_country(session: Session) -> None:
    campaign = _story(session)
    filters = parse_filters(source="tiktok", country="us")
    assert _counts(stats.funnel(session, campaign, filters)) == [None, 1, 1, 1, 1, 0, 0]
    window = parse_filters(source="tiktok", until=(RELEASE - 24 * H).isoformat())
    assert _counts(stats.funnel(session, campaign, window)) == [2, 1, 0, 0, 0, 0, 0]


def test_breakdown_by_source_has_each_sources_funnel(session: Session) -> None:
    campaign = _story(session)
    rows = stats.breakdown(session, campaign, "source").rows
    assert [(r.value, _counts(r)) for r in rows] == [
        ("tiktok", [2, 2, 1, 1, 1, 0, 0]),
        ("ig", [0, 1, 1, 1, 0, 0, 0]),
        (None, [1, 0, 1, 0, 0, 0, 0]),
    ]
    by_country = stats.breakdown(session, campaign, "country", parse_filters(channel="sms"))
    assert [(r.value, _counts(r)[1]) for r in by_country.rows] == [("GB", 1), ("US", 1)]


def test_time_series_bucket_opt_ins_and_drop_hour_saves(session: Session) -> None:
    campaign = _story(session)
    hourly = stats_series.optins_hourly(session, campaign)
    assert len(hourly.points) == 96 and hourly.points[0].start == RELEASE - 48 * H
    assert {p.start: p.count for p in hourly.points if p.count} == {
        RELEASE - 2 * H: 1, RELEASE - H: 1,
    }  # fmt: skip
    daily = stats_series.optins_daily(session, campaign)
    day = datetime(2026, 12, 8, tzinfo=UTC)  # UTC days, from the first opt-in's
    assert [(p.start, p.count) for p in daily.points] == [(day, 1), (day + 24 * H, 0)]
    minutes = stats_series.saves_by_minute(session, campaign, parse_filters(country="US"))
    assert [p.count for p in minutes.points][:4] == [0, 0, 1, 0] and len(minutes.points) == 60


def test_team_comparison_shows_the_last_five_releases(session: Session) -> None:
    campaign = _story(session)
    team = Team(name="Vale Team")
    session.add(team)
    session.flush()
    latest = make_campaign(session, "LATEST")  # a week from now: after RELEASE
    tenancy.assign_artist(session, latest.artist_id, team.id)  # every campaign's artist
    nxt = [make_campaign(session, f"NEXT{n}", release_at=(RELEASE - (n + 1) * H).isoformat())
           for n in range(5)]  # fmt: skip
    session.commit()
    releases = stats.team_comparison(session, team.id)
    assert [r.campaign_id for r in releases] == [latest.id, campaign, *(c.id for c in nxt[:3])]
    ours = releases[1]
    assert (ours.optins, ours.authorized, ours.saves) == (3, 2, 1)
    assert ours.authorization_rate == pytest.approx(2 / 3)
    assert (releases[0].optins, releases[0].authorization_rate) == (0, None)
    assert stats.team_comparison(session, team.id + 1) == []


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"country": "USA"}, "country"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-12-01T00:00:00"}, "since"),
        ({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "until"),
        ({"source": "x" * 33}, "source"),
        ({"region": "CA\u202e"}, "region"),
    ],
)
def test_filters_are_checked_and_name_the_field(given: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_filters(**given)
    assert refused.value.field == field


def test_an_unknown_dimension_is_refused(db: Session) -> None:
    with pytest.raises(ValidationError, match="dimension"):
        stats.breakdown(db, 1, "planet")
