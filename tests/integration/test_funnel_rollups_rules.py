"""What one fan's row in the funnel rollups says, event by event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import FunnelFact, PageViewHour
from core.services import events
from tests.factories import make_campaign
from tests.integration.rollup_helpers import clock, make_fans, record_at

T = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)


def _fact(db: Session) -> FunnelFact:
    return db.scalars(select(FunnelFact)).one()


def test_spotify_country_wins_over_an_earlier_phone_country(db: Session) -> None:
    campaign, (fan,) = make_campaign(db).id, make_fans(db, 1)
    record_at(db, T, "optin", campaign_id=campaign, fan_id=fan, channel="sms", country="US")
    record_at(db, T + timedelta(hours=1), "spotify_authorized", campaign_id=campaign,
              fan_id=fan, country="GB")  # fmt: skip
    record_at(db, T + timedelta(hours=2), "optin", campaign_id=campaign, fan_id=fan, country="CA")
    db.commit()
    fact = _fact(db)
    assert (fact.country, fact.opted_in_at) == ("GB", T)


def test_the_first_source_wins_even_when_it_arrives_last(db: Session) -> None:
    campaign, (fan,) = make_campaign(db).id, make_fans(db, 1)
    record_at(db, T, "link_click", campaign_id=campaign, fan_id=fan, source="ig")
    record_at(db, T - timedelta(days=1), "optin", campaign_id=campaign, fan_id=fan,
              source="tiktok", region="CA")  # fmt: skip
    record_at(db, T - timedelta(days=2), "optin", campaign_id=campaign, fan_id=fan, source="")
    db.commit()
    fact = _fact(db)
    assert (fact.source, fact.region) == ("tiktok", "CA")
    assert (fact.opted_in_at, fact.link_opened_at) == (T - timedelta(days=2), T)


def test_events_outside_the_funnel_touch_nothing(db: Session) -> None:
    campaign, (fan,) = make_campaign(db).id, make_fans(db, 1)
    for kind in ("duplicate_optin", "stop", "spotify_quota", "sms_in"):
        record_at(db, T, kind, campaign_id=campaign, fan_id=fan, source="tiktok")
    db.commit()
    assert db.scalars(select(FunnelFact)).all() == []
    assert db.scalars(select(PageViewHour)).all() == []


def test_a_drop_batch_marks_every_fan_saved_in_one_call(db: Session) -> None:
    campaign, fans = make_campaign(db).id, make_fans(db, 3)
    with clock(T):
        events.record_many(db, events.SAVED, [
            {"campaign_id": campaign, "fan_id": fan, "country": "SE"} for fan in fans
        ])  # fmt: skip
    db.commit()
    rows = db.execute(select(FunnelFact.fan_id, FunnelFact.saved_at, FunnelFact.country)).all()
    assert sorted(rows) == [(fan, T, "SE") for fan in fans]


def test_page_views_add_up_by_hour_and_source(db: Session) -> None:
    campaign = make_campaign(db).id
    for minutes, source in ((0, "tiktok"), (10, "tiktok"), (20, None), (40, "tiktok")):
        record_at(db, T + timedelta(minutes=minutes), "page_view", campaign_id=campaign,
                  source=source)  # fmt: skip
    db.commit()
    rows = db.execute(select(PageViewHour.hour, PageViewHour.source, PageViewHour.views)).all()
    hour = T.replace(minute=0)
    assert sorted(rows) == [
        (hour, "", 1), (hour, "tiktok", 2), (hour + timedelta(hours=1), "tiktok", 1)
    ]  # fmt: skip
