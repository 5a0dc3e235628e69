"""The artist app's campaign services: local release times, edits that change nothing, and
a server bound before its allowance was revoked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry
from core.services import (
    accounts,
    campaign_edit,
    discord_bindings,
    team_campaigns,
    team_discord,
    tenancy,
)
from core.services.team_campaigns import ArtworkGiven
from core.validation import ValidationError
from tests.factories import make_campaign

GUILD = "123456789012345678"


@pytest.mark.parametrize(
    ("typed", "zone", "expected"),
    [
        ("2030-03-05T00:00", "America/New_York", "2030-03-05T00:00:00-05:00"),
        ("2030-07-05T00:00", "America/New_York", "2030-07-05T00:00:00-04:00"),  # summer time
        ("2030-07-05T00:00", "Not/AZone", "2030-07-05T00:00:00+00:00"),  # the zone is refused apart
        ("2030-07-05T00:00+02:00", "Asia/Tokyo", "2030-07-05T00:00:00+02:00"),
        ("", "UTC", None),
        ("next friday", "UTC", "next friday"),  # passed on for the release time check to refuse
    ],
)
def test_local_release(typed: str, zone: str, expected: str | None) -> None:
    assert team_campaigns.local_release(typed, zone) == expected


def test_an_edit_that_changes_nothing_is_not_logged(db: Session, tmp_path: Path) -> None:
    user, _ = accounts.create_user(db, "a@team.example", "Team")
    team = accounts.team_by_name(db, "Team")
    assert team is not None
    campaign = make_campaign(db, "BLOOM")
    tenancy.assign_artist(db, campaign.artist_id, team.id)
    same = campaign_edit.CampaignChanges(title=campaign.title, keyword="bloom")
    assert (
        team_campaigns.edit(db, (team.id, user.id), campaign.id, same, (tmp_path, ArtworkGiven()))
        == []
    )
    assert db.scalar(select(AuditEntry)) is None


def test_a_server_bound_before_a_revoke_stays_listed(db: Session) -> None:
    campaign = make_campaign(db, "BLOOM")
    user, _ = accounts.create_user(db, "a@team.example", "Team")
    team = accounts.team_by_name(db, "Team")
    assert team is not None
    assert team_discord.allow(db, (team.id, user.id), campaign, GUILD)
    discord_bindings.bind(db, campaign.slug, GUILD, "1", "2", "admin")
    assert [s.state for s in team_discord.servers(db, campaign.id)] == ["Allowed and set up"]
    assert team_discord.revoke(db, (team.id, user.id), campaign, GUILD)
    assert not team_discord.revoke(db, (team.id, user.id), campaign, GUILD)  # once
    (server,) = team_discord.servers(db, campaign.id)
    assert not server.allowed and server.state.startswith("Revoked")
    with pytest.raises(ValidationError) as refused:
        team_discord.allow(db, (team.id, user.id), campaign, "12")
    assert refused.value.field == "guild_id"
