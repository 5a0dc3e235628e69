"""Servers asking to bind a campaign (core/services/discord_requests.py and team_discord):
one row per (campaign, server), counted; limits per server and per campaign; dismiss stays
dismissed; allow clears the request; names cleaned; ids validated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign, DiscordBindRequest
from core.services import accounts, discord_bindings, discord_requests, team_discord, tenancy
from core.services.discord_requests import Asked, Asker
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign

GUILD = "111111111111111111"
ADMIN = "444444444444444444"


def guild(n: int) -> str:
    return str(200000000000000000 + n)


def ask(db: Session, campaign: Campaign, server: str = GUILD, **names: str | None) -> Asked:
    recorded = discord_requests.record(db, campaign.id, Asker(server, ADMIN, **names))
    db.commit()
    return recorded.asked


def rows(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(DiscordBindRequest)) or 0)


def team_of(db: Session, campaign: Campaign) -> tuple[int, int]:
    user, _ = accounts.create_user(db, "owner@team-a.example.com", "Team A")
    team_id = accounts.memberships(db, user.id)[0].team_id
    tenancy.assign_artist(db, campaign.artist_id, team_id)
    db.commit()
    return team_id, user.id


def test_a_request_is_recorded_once_and_counted(db: Session) -> None:
    campaign = make_campaign(db)
    first = utcnow() - timedelta(hours=2)
    recorded = discord_requests.record(
        db, campaign.id, Asker(GUILD, ADMIN, "Night Bloom Fans", "mod"), now=first
    )
    assert recorded == discord_requests.Recorded(Asked.NEW, 1)
    again = discord_requests.record(db, campaign.id, Asker(GUILD, "555555555555555555", None, "m2"))
    assert again == discord_requests.Recorded(Asked.AGAIN, 2)
    db.commit()
    assert rows(db) == 1
    [shown] = discord_requests.pending(db, campaign.id)
    assert (shown.guild_name, shown.asked_by, shown.asked_by_name, shown.times_asked) == (
        "Night Bloom Fans", "555555555555555555", "m2", 2,
    )  # fmt: skip
    assert shown.first_asked_at == first and shown.last_asked_at > first


def test_names_are_cleaned_and_clipped(db: Session) -> None:
    campaign = make_campaign(db)
    spoof = "Fans\u202e\n\x00of\tbloom" + "x" * 300
    ask(db, campaign, guild_name=spoof, user_name="  " + "y" * 60)
    [shown] = discord_requests.pending(db, campaign.id)
    assert shown.guild_name is not None and shown.asked_by_name is not None
    assert shown.guild_name.startswith("Fans of bloomxxx") and len(shown.guild_name) == 100
    assert shown.asked_by_name == "y" * 32
    assert discord_requests.clean_name("\u200b \x07", 100) is None
    assert discord_requests.clean_name(42, 100) is None


@pytest.mark.parametrize(
    ("server", "user", "field"),
    [("12", ADMIN, "guild_id"), (GUILD, "not-an-id", "user_id"), ("9" * 20, ADMIN, "guild_id")],
)
def test_malformed_ids_are_refused_by_name(db: Session, server: str, user: str, field: str) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as refused:
        discord_requests.record(db, campaign.id, Asker(server, user))
    assert refused.value.field == field
    assert rows(db) == 0


def test_one_server_has_at_most_five_waiting(db: Session) -> None:
    campaigns = [make_campaign(db, f"K{n}") for n in range(6)]
    for campaign in campaigns[:5]:
        assert ask(db, campaign) is Asked.NEW
    assert ask(db, campaigns[5]) is Asked.SERVER_LIMIT
    assert ask(db, campaigns[0]) is Asked.AGAIN, "asking again is still counted"
    assert rows(db) == 5
    assert ask(db, campaigns[5], server=guild(1)) is Asked.NEW, "another server is not limited"
    discord_requests.dismiss(db, campaigns[0].id, GUILD)
    db.commit()
    assert ask(db, campaigns[5]) is Asked.NEW, "a dismissed request no longer waits"


def test_one_server_opens_at_most_ten_a_day(db: Session) -> None:
    campaigns = [make_campaign(db, f"K{n}") for n in range(13)]
    day_ago = utcnow() - timedelta(hours=25)
    for n, campaign in enumerate(campaigns[:10]):
        discord_requests.record(
            db, campaign.id, Asker(GUILD, ADMIN), now=day_ago if n < 2 else None
        )
        discord_requests.dismiss(db, campaign.id, GUILD)
    db.commit()
    for campaign in campaigns[10:12]:  # two of the ten are older than a day
        assert ask(db, campaign) is Asked.NEW
        discord_requests.dismiss(db, campaign.id, GUILD)
    assert ask(db, campaigns[12]) is Asked.SERVER_LIMIT


def test_a_campaign_keeps_at_most_fifty_waiting(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_requests, "MAX_PENDING_PER_CAMPAIGN", 3)
    campaign = make_campaign(db)
    for n in range(3):
        assert ask(db, campaign, server=guild(n)) is Asked.NEW
    assert ask(db, campaign, server=guild(9)) is Asked.CAMPAIGN_FULL
    assert ask(db, campaign, server=guild(0)) is Asked.AGAIN
    assert len(discord_requests.pending(db, campaign.id)) == 3
    assert discord_requests.MAX_PENDING_PER_CAMPAIGN == 3  # the page shows them all


def test_dismissed_is_remembered_and_stays_dismissed(db: Session) -> None:
    campaign = make_campaign(db)
    who = team_of(db, campaign)
    ask(db, campaign, guild_name="Night Bloom Fans")
    assert team_discord.dismiss(db, who, campaign, GUILD) is True
    assert team_discord.dismiss(db, who, campaign, GUILD) is False, "nothing waits any more"
    db.commit()
    assert ask(db, campaign) is Asked.DISMISSED
    assert discord_requests.pending(db, campaign.id) == []
    [gone] = discord_requests.dismissed(db, campaign.id)
    assert (gone.guild_id, gone.times_asked, gone.guild_name) == (GUILD, 2, "Night Bloom Fans")
    assert gone.dismissed_at is not None
    entries = [(e.action, e.detail) for e in db.scalars(select(AuditEntry))]
    assert entries == [("discord_request_dismissed", f"server {GUILD}")]


def test_allow_creates_the_allowance_and_clears_the_request(db: Session) -> None:
    campaign, other = make_campaign(db), make_campaign(db, "OTHER")
    who = team_of(db, campaign)
    ask(db, campaign)
    ask(db, campaign, server=guild(1))
    ask(db, other)
    discord_requests.dismiss(db, campaign.id, guild(1))
    assert team_discord.allow(db, who, campaign, GUILD) is True
    assert team_discord.allow(db, who, campaign, guild(1)) is True, "a dismissed one too"
    db.commit()
    assert discord_bindings.is_allowed(db, campaign.id, GUILD)
    assert discord_requests.pending(db, campaign.id) == []
    assert discord_requests.dismissed(db, campaign.id) == []
    assert [r.guild_id for r in discord_requests.pending(db, other.id)] == [GUILD]
    assert [e.action for e in db.scalars(select(AuditEntry))] == ["discord_allowed"] * 2
    discord_bindings.disallow(db, campaign, GUILD)
    db.commit()
    assert ask(db, campaign) is Asked.NEW, "after a revoke, asking again is a new request"


def test_a_server_allowed_elsewhere_is_not_shown_as_waiting(db: Session) -> None:
    campaign = make_campaign(db)
    ask(db, campaign)
    discord_bindings.allow(db, campaign, GUILD)  # `presave discord allow` from the CLI
    db.commit()
    assert discord_requests.pending(db, campaign.id) == []


@pytest.mark.postgres
def test_record_count_dismiss_and_allow_on_postgres(pg_url: str) -> None:
    from sqlalchemy import create_engine

    from cli import migrate

    migrate.upgrade(pg_url)
    engine = create_engine(pg_url)
    with Session(bind=engine, expire_on_commit=False) as db:
        campaign = make_campaign(db)
        who = team_of(db, campaign)
        assert ask(db, campaign, guild_name="Night Bloom Fans") is Asked.NEW
        assert ask(db, campaign) is Asked.AGAIN
        assert ask(db, campaign, server=guild(1)) is Asked.NEW
        assert [(r.guild_id, r.times_asked) for r in discord_requests.pending(db, campaign.id)] == [
            (guild(1), 1), (GUILD, 2),
        ]  # fmt: skip
        assert team_discord.dismiss(db, who, campaign, guild(1))
        assert team_discord.allow(db, who, campaign, GUILD)
        db.commit()
        assert ask(db, campaign, server=guild(1)) is Asked.DISMISSED
        assert discord_requests.pending(db, campaign.id) == []
        assert rows(db) == 1
    engine.dispose()
