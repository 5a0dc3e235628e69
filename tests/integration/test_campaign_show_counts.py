"""`presave campaign show`: `sources` counts fans (not events), and the text says "1 server",
"2 servers", "1 fan"."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from core.models import Event, Fan
from core.services import discord_bindings
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run
from tests.integration.discord_helpers import CHANNEL, MOD, ROLE

__all__ = ["env"]  # a fixture: imported for pytest to find


def test_sources_count_fans_and_plurals_are_right(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db)
    one, two = Fan(phone_e164="+14155550101"), Fan(phone_e164="+14155550102")
    db.add_all([one, two])
    db.flush()
    texts = [(one, "tiktok"), (one, "tiktok"), (two, "tiktok"), (two, "instagram")]
    for fan, source in texts:  # fan one texted "DROP tiktok" twice
        db.add(Event(kind="optin", campaign_id=campaign.id, fan_id=fan.id, source=source))
    for _ in range(2):  # fan one was refused twice (tried again): one fan, two events
        db.add(Event(kind="spotify_quota", campaign_id=campaign.id, fan_id=one.id))
    discord_bindings.allow(db, campaign, "111111111111111111")  # the artist's consent
    discord_bindings.bind(db, campaign.slug, "111111111111111111", CHANNEL, ROLE, MOD)
    db.commit()
    code, out, err = run(capsys, "campaign", "show", campaign.slug, "--json")
    assert code == 0, err
    counts = json.loads(out)["counts"]
    assert counts["sources"] == {"tiktok": 2, "instagram": 1}
    # events still count events (the artist's allowance of the server is one too)
    assert counts["events"] == {"optin": 4, "spotify_quota": 2, "discord_allowed": 1}
    assert counts["quota_fans"] == 1
    code, out, err = run(capsys, "campaign", "show", campaign.slug)
    assert code == 0, err
    assert "sources    instagram 1, tiktok 2" in out
    assert "1 server;" in out and "1 servers" not in out
    assert "  1 fan could not connect" in out and "1 fans" not in out
    discord_bindings.allow(db, campaign, "222222222222222222")
    discord_bindings.bind(db, campaign.slug, "222222222222222222", CHANNEL, ROLE, MOD)
    db.commit()
    code, out, _ = run(capsys, "campaign", "show", campaign.slug)
    assert "2 servers;" in out
