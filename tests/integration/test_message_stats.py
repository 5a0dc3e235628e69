"""Per scheduled message: how its deliveries ended, the opt-outs and the clicks within 24
hours after it (SQLite and PostgreSQL: the window is computed in SQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from cli import migrate
from core.db import transaction
from core.models import Event
from core.services import message_stats
from core.services.message_stats import MessageStats
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.funnel_helpers import delivery, message, opted_in_fan

H = timedelta(hours=1)


def event(session: Session, kind: str, fan: int, at: datetime, **fields: object) -> None:
    """An event at a given time (the app writes them at `utcnow()`)."""
    session.add(Event(kind=kind, fan_id=fan, at=at, **fields))


def build(session: Session) -> tuple[int, int, int, datetime]:
    """A countdown sent 2 days ago to seven fans, a drop message not sent yet, and what the
    fans did around the countdown; (campaign, countdown, drop, when it was sent)."""
    campaign = make_campaign(session).id
    other = make_campaign(session, "OTHER").id
    t = utcnow().replace(microsecond=0) - timedelta(days=2)
    f1, f2, f3, f4, f5, f6, f7 = (
        opted_in_fan(session, campaign, f"+1415555020{n}")[0] for n in range(7)
    )
    countdown = message(session, campaign, "countdown", t)
    drop = message(session, campaign, "drop", t + 48 * H)
    delivery(session, countdown, f1, status="delivered", sent_at=t)
    delivery(session, countdown, f2, status="sent", sent_at=t)
    delivery(session, countdown, f3, "discord", status="sent", sent_at=t)
    delivery(session, countdown, f4, status="held")
    delivery(session, countdown, f5, status="skipped")
    delivery(session, countdown, f6, status="failed")
    delivery(session, countdown, f7, status="undelivered", sent_at=t)
    event(session, "stop", f1, t + H, channel="sms", campaign_id=campaign)  # counted
    event(session, "stop", f2, t + 24 * H, channel="sms")  # at the window's end: not
    event(session, "stop", f3, t + H, channel="sms")  # the DM's channel is discord: not
    event(session, "carrier_opt_out", f7, t + 23 * H + timedelta(minutes=59), channel="sms")
    event(session, "link_click", f1, t + 2 * H, campaign_id=campaign)  # counted
    event(session, "link_click", f1, t + 3 * H, campaign_id=campaign)  # the same fan
    event(session, "link_click", f2, t - H, campaign_id=campaign)  # before it: not
    event(session, "release_click", f3, t + 3 * H, campaign_id=campaign)  # counted
    event(session, "link_click", f7, t + H, campaign_id=other)  # another campaign: not
    session.commit()
    return campaign, countdown, drop, t


def expected(countdown: int, drop: int, t: datetime) -> list[MessageStats]:
    return [
        MessageStats(countdown, "countdown", "countdown-1d", t, sent=4, delivered=2, failed=2,
                     held=1, skipped=1, opt_outs=2, clicks=2),
        MessageStats(drop, "drop", "drop_alert", t + 48 * H),
    ]  # fmt: skip


def test_each_message_with_its_outcomes_opt_outs_and_clicks(db: Session) -> None:
    campaign, countdown, drop, t = build(db)
    assert message_stats.for_campaign(db, campaign) == expected(countdown, drop, t)
    assert message_stats.for_campaign(db, campaign + 2) == []


@pytest.mark.postgres
def test_the_same_numbers_on_postgres(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    with transaction(pg_url) as session:
        campaign, countdown, drop, t = build(session)
    with transaction(pg_url) as session:
        assert message_stats.for_campaign(session, campaign) == expected(countdown, drop, t)
