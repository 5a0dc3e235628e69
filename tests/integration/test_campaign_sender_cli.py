"""`presave campaign sender` sets what SMS sends are planned for, each bad value refused in
one line with nothing changed; `presave schedule add` prints the send's length."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, Fan
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run

__all__ = ["env"]  # a fixture: imported for pytest to find
RELEASE = "2030-01-15T17:00:00+00:00"  # a Tuesday
MONDAY_10_IN_NEW_YORK = "2030-01-14T15:00:00+00:00"


def sender(db: Session, slug: str) -> tuple[str, int, int | None]:
    db.expire_all()
    found = db.scalars(select(Campaign).where(Campaign.slug == slug)).one()
    return found.sms_sender, found.sms_sender_numbers, found.sms_daily_cap


def test_set_the_sender_and_see_it(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    slug = make_campaign(db, release_at=RELEASE).slug
    code, out, err = run(capsys, "campaign", "sender", slug, "--kind", "messaging_service",
                         "--numbers", "5", "--daily-cap", "20000", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {
        "slug": slug, "kind": "messaging_service", "numbers": 5, "daily_cap": 20000,
        "mps": 5.0, "twilio_mps_override": None,
    }  # fmt: skip
    code, out, err = run(capsys, "campaign", "sender", slug, "--kind", "toll_free",
                         "--daily-cap", "none")  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"{slug}: SMS from a toll_free (1 number(s)), 3 messages/s, no daily cap"
    assert sender(db, slug) == ("toll_free", 1, None)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--kind", "pager"], "--kind: one of long_code, toll_free, short_code"),
        (["--kind", "short_code", "--numbers", "3"], "--numbers: only a messaging_service"),
        (["--kind", "messaging_service", "--numbers", "0"], "--numbers: a whole number from 1"),
        (["--kind", "messaging_service", "--numbers", "401"], "to 400, got '401'"),
        (["--daily-cap", "-5"], "--daily-cap: a whole number from 1"),
        (["--daily-cap", "lots"], "got 'lots'"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str], flags: list[str], said: str
) -> None:
    slug = make_campaign(db, release_at=RELEASE).slug
    code, out, err = run(capsys, "campaign", "sender", slug, *flags)
    assert code != 0 and said in err and out == ""
    assert sender(db, slug) == ("long_code", 1, None)


def test_schedule_add_prints_how_long_the_send_takes(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db, release_at=RELEASE)
    phones = [f"+1212555{i:04d}" for i in range(90)]
    db.execute(insert(Fan), [{"phone_e164": p, "country": "US"} for p in phones])
    db.execute(insert(Consent), [
        {"fan_id": f, "campaign_id": campaign.id, "channel": "sms", "sender": "x", "source": "sms"}
        for f in db.scalars(select(Fan.id))
    ])  # fmt: skip
    db.commit()
    code, out, err = run(capsys, "schedule", "add", campaign.slug, "--template", "countdown-1d",
                         "--at", MONDAY_10_IN_NEW_YORK, "--channels", "sms")  # fmt: skip
    assert code == 0, err
    assert "SMS send: 90 SMS fans at 1/s: 2 min, 15:00-15:01 UTC" in out
