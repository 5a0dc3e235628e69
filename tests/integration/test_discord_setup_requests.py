"""/presave-setup by a server the artist has not allowed: the request is recorded for the
artist's Discord page (counted, limited, dismissed stays quiet), nothing is bound, and the
answer names only the campaign the admin typed. Driven as discord.py calls the command."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import discord_bot, discord_commands, discord_facts
from core.discord_permissions import SetupFacts
from core.models import CampaignStatus, DiscordBinding, DiscordBindRequest
from core.services import discord_bindings, discord_requests
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.discord_helpers import (
    CHANNEL,
    GUILD,
    MOD,
    ROLE,
    allowed_campaign,
    fake_guild,
    fake_role,
    interaction,
    invoke,
    sent,
)


def setup_as_admin(settings: Settings, slug: str) -> str:
    """/presave-setup `slug` run by MOD (Manage Server) in GUILD; the answer's text."""
    guild, channel = fake_guild()
    mock = interaction(settings, user=MOD, manage=True, command="presave-setup", guild_object=guild)
    invoke(discord_bot.presave_setup, mock, slug, channel, fake_role())
    text, link, kwargs = sent(mock)
    assert kwargs["ephemeral"] is True and link is None
    return str(text)


def test_the_request_is_recorded_with_names_and_counted(settings: Settings, db: Session) -> None:
    campaign = make_campaign(db)
    allowed_here = allowed_campaign(db, "HERE")
    secret = make_campaign(db, "SECRET", title="Unannounced Secret")
    text = setup_as_admin(settings, campaign.slug)
    assert f"**{campaign.title}** by Mira Vale" in text and "nothing was set up" in text
    assert "The artist has been asked to allow it" in text
    for other in (allowed_here, secret):  # the reply names no other campaign
        assert other.title not in text and other.slug not in text
    assert db.scalar(select(DiscordBinding.id)) is None, "nothing bound"
    [asked] = discord_requests.pending(db, campaign.id)
    assert (asked.guild_id, asked.guild_name, asked.asked_by, asked.asked_by_name) == (
        GUILD, "Night Bloom Fans", MOD, "user4444",
    )  # fmt: skip
    assert "asked already (2 times now)" in setup_as_admin(settings, campaign.slug)
    assert discord_requests.pending(db, campaign.id)[0].times_asked == 2


def test_a_dismissed_request_stays_quiet(settings: Settings, db: Session) -> None:
    campaign = make_campaign(db)
    setup_as_admin(settings, campaign.slug)
    discord_requests.dismiss(db, campaign.id, GUILD)
    db.commit()
    text = setup_as_admin(settings, campaign.slug)
    assert "seen this server's request and not allowed it" in text
    assert discord_requests.pending(db, campaign.id) == []
    assert discord_requests.dismissed(db, campaign.id)[0].times_asked == 2


def test_requests_from_one_server_are_limited(
    settings: Settings, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_requests, "MAX_PENDING_PER_SERVER", 1)
    first, second = make_campaign(db), make_campaign(db, "SECOND")
    setup_as_admin(settings, first.slug)
    text = setup_as_admin(settings, second.slug)
    assert "too many requests waiting" in text and second.title in text
    assert first.title not in text, "the server's other requests are not named"
    assert discord_requests.pending(db, second.id) == []


def test_a_full_campaign_records_no_more(
    settings: Settings, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_requests, "MAX_PENDING_PER_CAMPAIGN", 0)
    campaign = make_campaign(db)
    text = setup_as_admin(settings, campaign.slug)
    assert "too many servers' requests waiting" in text and f"`{GUILD}`" in text
    assert db.scalar(select(DiscordBindRequest.id)) is None


def test_a_closed_or_unknown_campaign_records_nothing(settings: Settings, db: Session) -> None:
    closed = make_campaign(db, "SHUT")
    closed.status = CampaignStatus.CLOSED
    db.commit()
    for slug in (closed.slug, "no-such-campaign"):
        text = setup_as_admin(settings, slug)
        assert "No open campaign" in text and "type the campaign's slug" in text
        assert closed.title not in text
    assert db.scalar(select(DiscordBindRequest.id)) is None


def test_revoked_while_the_server_was_checked_is_a_request_too(
    settings: Settings, db: Session
) -> None:
    campaign = allowed_campaign(db)
    guild, channel = fake_guild()

    def facts() -> SetupFacts:  # the artist revokes while the bot looks at the server
        discord_bindings.disallow(db, campaign, GUILD)
        db.commit()
        return discord_facts.from_cache(guild, channel, fake_role())

    caller = discord_commands.Caller(MOD, GUILD, True, "mod", "Night Bloom Fans")
    reply = discord_commands.setup(settings, caller, campaign.slug, CHANNEL, ROLE, facts)
    assert "The artist has been asked to allow it" in reply.text
    assert db.scalar(select(DiscordBinding.id)) is None, "nothing bound"
    assert [r.guild_name for r in discord_requests.pending(db, campaign.id)] == ["Night Bloom Fans"]
