"""A fan's time zone from their number: one clock shared by several zones (the UK's +44 7
numbers: London, Jersey, Guernsey, Isle of Man) is that clock, never the campaign's zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from core.models import Consent, Fan, FanLink
from core.quiet_hours import number_zone
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run

__all__ = ["env"]  # a fixture: imported for pytest to find

UK_MOBILE = "+447911123456"  # Guernsey, Isle of Man, Jersey and London for phonenumbers


def test_a_uk_fan_reads_the_uk_time_not_the_campaigns(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    release = (utcnow() + timedelta(days=10)).replace(hour=21, minute=20, second=0, microsecond=0)
    campaign = make_campaign(db, release_at=release.isoformat(), timezone="America/New_York")
    fan = Fan(phone_e164=UK_MOBILE)
    db.add(fan)
    db.flush()
    db.add(Consent(fan_id=fan.id, campaign_id=campaign.id, channel="sms", sender="x", source="sms"))
    db.add(FanLink(code="U" * 22, fan_id=fan.id, campaign_id=campaign.id, source="sms"))
    db.commit()
    code, out, err = run(
        capsys, "templates", "preview", "countdown-1d", "--campaign", campaign.slug,
        "--text", "Out {{ release_local }}", "--json",
    )  # fmt: skip
    assert code == 0, err
    (shown,) = json.loads(out)
    london = release.astimezone(ZoneInfo("Europe/London"))
    clock = london.strftime("%I:%M %p").lstrip("0")
    assert f"{clock} {london.tzname()}" in shown["text"], shown["text"]
    assert london.tzname() in ("GMT", "BST")
    assert "EST" not in shown["text"] and "EDT" not in shown["text"]


def test_zones_on_different_clocks_stay_unknown() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert number_zone("+18005551234", now) is None  # toll-free: all of North America
    assert number_zone("+61412345678", now) is None  # an Australian mobile: several clocks
    assert number_zone("+12125551234", now) == "America/New_York"
    assert number_zone(UK_MOBILE, now) in (
        "Europe/London", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey",
    )  # fmt: skip
