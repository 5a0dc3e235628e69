"""Sender throughput planning at chosen clock moments, at the defaults (TWILIO_MPS unset, a
long code's 1 message a second): a send that would run past a fan's allowed hours is
refused, naming an earlier start and a faster sender; a faster sender, or the next day's
window, lets it through; TWILIO_MPS overrides the sender's kind; the daily cap is kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, Fan
from core.services import schedule, send_plan
from core.settings import Settings
from core.validation import ValidationError
from tests.factories import make_campaign

# Monday 2026-12-07 in Baltimore (EST, UTC-5): its window is 08:00-20:00.
BALTIMORE_1958 = datetime(2026, 12, 8, 0, 58, 30, tzinfo=UTC)  # 19:58:30 local
BALTIMORE_1957 = datetime(2026, 12, 8, 0, 57, tzinfo=UTC)  # 19:57 local
# Sunday 2026-12-13, 11:00 in Austin (CST, UTC-6), 12:00 in New York.
SUNDAY_1100_AUSTIN = datetime(2026, 12, 13, 17, 0, tzinfo=UTC)
RELEASE = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)


def fans(db: Session, c: Campaign, area_code: str, count: int, first: int = 0) -> None:
    """`count` opted-in SMS fans with numbers of `area_code`."""
    phones = [f"+1{area_code}555{first + i:04d}" for i in range(count)]
    db.execute(insert(Fan), [{"phone_e164": p, "country": "US"} for p in phones])
    ids = db.scalars(select(Fan.id).where(Fan.phone_e164.in_(phones))).all()
    db.execute(insert(Consent), [
        {"fan_id": f, "campaign_id": c.id, "channel": "sms", "sender": "x", "source": "sms"}
        for f in ids
    ])  # fmt: skip
    db.commit()


def add(db: Session, settings: Settings, c: Campaign, at: datetime, now: datetime
        ) -> schedule.Scheduled:  # fmt: skip
    request = schedule.Request(c.slug, "countdown-1d", at=at.isoformat(), channels="sms")
    done = schedule.add(
        db, settings.public_url, settings.program_name, request, now, settings.twilio_mps_override
    )
    db.commit()
    return done


@pytest.fixture
def campaign(db: Session) -> Campaign:
    return make_campaign(db, release_at=RELEASE.isoformat())


def test_defaults_plan_at_a_long_codes_pace(settings: Settings, campaign: Campaign) -> None:
    assert settings.twilio_mps_override is None and settings.twilio_mps == 1.0
    assert campaign.sms_sender == "long_code" and campaign.sms_daily_cap is None
    assert send_plan.campaign_rate(campaign, settings.twilio_mps_override) == 1.0


def test_half_past_seven_in_maryland_with_time_to_spare(
    settings: Settings, db: Session, campaign: Campaign
) -> None:
    fans(db, campaign, "410", 120)
    done = add(db, settings, campaign, BALTIMORE_1957, BALTIMORE_1957 - timedelta(hours=1))
    assert done.plan is not None and done.plan.fans == 120 and done.plan.rate == 1.0
    # 120 texts at the workers' pace, 96% of 1/s: 125 s, until 19:59:05 in Baltimore.
    assert done.plan.finish == BALTIMORE_1957 + timedelta(seconds=125)
    assert send_plan.summary(done.plan) == "120 SMS fans at 1/s: 2 min, 00:57-00:59 UTC"


def test_a_send_that_would_run_past_20_00_in_maryland_is_refused(
    settings: Settings, db: Session, campaign: Campaign
) -> None:
    fans(db, campaign, "410", 120)
    now = BALTIMORE_1958 - timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        add(db, settings, campaign, BALTIMORE_1958, now)
    message = str(refused.value)
    assert refused.value.field == "at"
    assert "120 of them would be texted after their allowed hours end" in message
    assert "America/New_York closes at 01:00 UTC" in message
    # What to change: 35 s earlier, the next morning, or a sender of 2/s or more.
    assert "start by 2026-12-08 00:57 UTC" in message
    assert "start at 2026-12-08 13:00 UTC, when the next windows open" in message
    assert "toll-free (3/s)" in message and "short-code (100/s)" in message
    assert "long-code" not in message
    # The next morning's window is taken as named.
    next_morning = add(db, settings, campaign, datetime(2026, 12, 8, 13, 0, tzinfo=UTC), now)
    assert next_morning.plan is not None and next_morning.plan.late == 0


def test_a_toll_free_sender_finishes_in_time(
    settings: Settings, db: Session, campaign: Campaign
) -> None:
    campaign.sms_sender = "toll_free"
    db.commit()
    fans(db, campaign, "410", 120)
    done = add(db, settings, campaign, BALTIMORE_1958, BALTIMORE_1958 - timedelta(hours=1))
    assert done.plan is not None and done.plan.rate == 3.0
    assert done.plan.finish == BALTIMORE_1958 + timedelta(seconds=120 / (3 * 0.96))


def test_a_messaging_service_sends_one_a_second_per_number(campaign: Campaign) -> None:
    campaign.sms_sender, campaign.sms_sender_numbers = "messaging_service", 4
    assert send_plan.campaign_rate(campaign, None) == 4.0
    assert send_plan.sender_rate("short_code") == 100.0
    with pytest.raises(ValueError, match="one of long_code, toll_free"):
        send_plan.sender_rate("carrier_pigeon")


def test_twilio_mps_overrides_the_senders_kind(
    settings: Settings, db: Session, campaign: Campaign
) -> None:
    campaign.sms_sender = "short_code"
    db.commit()
    fans(db, campaign, "410", 120)
    slow = dataclasses.replace(settings, twilio_mps=0.5, twilio_mps_override=0.5)
    with pytest.raises(ValidationError, match=r"120 SMS fans at 0\.5/s: 4 min"):
        add(db, slow, campaign, BALTIMORE_1957, BALTIMORE_1957 - timedelta(hours=1))
    assert add(db, settings, campaign, BALTIMORE_1957, BALTIMORE_1957).plan.rate == 100.0  # type: ignore[union-attr]


def test_sunday_noon_in_texas_waits_then_finishes(
    settings: Settings, db: Session, campaign: Campaign
) -> None:
    fans(db, campaign, "512", 60)  # Austin: Sunday opens at noon
    fans(db, campaign, "212", 60)  # New York: open since 08:00
    done = add(db, settings, campaign, SUNDAY_1100_AUSTIN, SUNDAY_1100_AUSTIN)
    assert done.plan is not None and done.plan.late == 0 and done.plan.fans == 120
    # New York's 60 first (62.5 s from 17:00 UTC), Austin's at its noon (18:00 UTC).
    assert done.plan.finish == datetime(2026, 12, 13, 18, 1, 2, 500_000, tzinfo=UTC)


def test_the_senders_daily_cap_is_kept(settings: Settings, db: Session, campaign: Campaign) -> None:
    campaign.sms_daily_cap = 100
    db.commit()
    fans(db, campaign, "212", 120)
    with pytest.raises(ValidationError, match="120 SMS fans but the sender may send 100 texts"):
        add(db, settings, campaign, BALTIMORE_1957, BALTIMORE_1957 - timedelta(hours=1))


@pytest.mark.parametrize(
    ("kind", "numbers", "override", "budget"),
    [
        (None, None, None, ("twilio", 1.0)),  # no sender said: a long code, the account's
        ("long_code", 1, None, ("twilio", 1.0)),
        ("toll_free", 1, None, ("twilio:toll_free:1", 3.0)),
        ("short_code", 1, None, ("twilio:short_code:1", 100.0)),
        ("messaging_service", 12, None, ("twilio:messaging_service:12", 12.0)),
        ("short_code", 1, 10.0, ("twilio", 10.0)),  # TWILIO_MPS: one budget for all
    ],
)
def test_the_workers_budget_is_the_senders(
    kind: str | None, numbers: int | None, override: float | None, budget: tuple[str, float]
) -> None:
    assert send_plan.sms_budget(kind, numbers, override) == budget


def test_a_campaigns_sender_is_read_for_the_workers(db: Session, campaign: Campaign) -> None:
    campaign.sms_sender, campaign.sms_sender_numbers = "messaging_service", 4
    db.commit()
    assert send_plan.campaign_sender(db, campaign.id) == ("messaging_service", 4)
    assert send_plan.campaign_sender(db, campaign.id + 999) == (None, None)
