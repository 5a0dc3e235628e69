"""stats.overview (one read for the funnel and all breakdowns) equals stats.funnel and
stats.breakdown for each dimension, under every kind of filter, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from cli import migrate
from core.services import stats
from core.services.stats_filters import parse_filters
from tests.factories import make_campaign
from tests.integration.rollup_helpers import make_fans, record_at

RELEASE = datetime(2026, 12, 11, 5, 0, tzinfo=UTC)
SOURCES = ("tiktok", "ig", None)
PLACES = (("US", "CA"), ("US", "NY"), ("GB", None), (None, None))
STEPS_AFTER_OPTIN = ("link_click", "spotify_authorized", "saved", "drop_delivered")


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


def random_campaign(db: Session, seed: int) -> int:
    """40 fans with random sources, channels, places and progress; page views by source."""
    rng = random.Random(seed)
    campaign = make_campaign(db, release_at=RELEASE.isoformat()).id
    for _ in range(30):
        at = RELEASE - timedelta(hours=rng.randint(1, 200))
        record_at(db, at, "page_view", campaign_id=campaign, source=rng.choice(SOURCES))
    for fan in make_fans(db, 40):
        at = RELEASE - timedelta(hours=rng.randint(1, 200))
        country, region = rng.choice(PLACES)
        record_at(db, at, "optin", campaign_id=campaign, fan_id=fan,
                  channel=rng.choice(("sms", "discord")), source=rng.choice(SOURCES),
                  country=country, region=region)  # fmt: skip
        for kind in STEPS_AFTER_OPTIN[: rng.randint(0, len(STEPS_AFTER_OPTIN))]:
            at += timedelta(hours=rng.randint(0, 30))
            record_at(db, at, kind, campaign_id=campaign, fan_id=fan)
    db.commit()
    return campaign


FILTERS = [
    {},
    {"source": "tiktok"},
    {"channel": "sms"},
    {"country": "us", "region": "CA"},
    {"since": (RELEASE - timedelta(hours=100)).isoformat()},
    {"source": "ig", "until": (RELEASE - timedelta(hours=50)).isoformat()},
]


@pytest.mark.parametrize("seed", [1, 2])
def test_overview_equals_the_funnel_and_each_breakdown(session: Session, seed: int) -> None:
    campaign = random_campaign(session, seed)
    for given in FILTERS:
        filters = parse_filters(**given)
        funnel, breakdowns = stats.overview(session, campaign, filters)
        assert funnel == stats.funnel(session, campaign, filters), given
        assert list(breakdowns) == list(stats.DIMENSIONS)
        for dimension in stats.DIMENSIONS:
            alone = stats.breakdown(session, campaign, dimension, filters)
            assert breakdowns[dimension] == alone, (given, dimension)
    everything, _ = stats.overview(session, campaign)
    assert (everything.steps[1].count or 0) > 0  # the comparison was not of empty results
