"""The gateway bot's slash commands, called as discord.py calls them (a mocked Interaction),
against a real database and Redis."""

from __future__ import annotations

import threading
import time

import pytest
import redis
import responses
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import discord_bot
from core import queues
from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    DiscordBinding,
    DiscordRoleGrant,
    Event,
    Fan,
    FanLink,
    PreSave,
    RoleGrantStatus,
    ScheduledMessage,
)
from core.services import discord_bindings
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.discord_helpers import (
    CHANNEL,
    FAN,
    GUILD,
    MOD,
    ROLE,
    allowed_campaign,
    bound_campaign,
    fake_guild,
    fake_role,
    interaction,
    invoke,
    run,
    sent,
)
from tests.integration.spotify_stubs import (
    Tokens,
    authorize_redirect,
    callback,
    rsps,
    sp_app,
    sp_client,
    sp_settings,
    stub_me,
    stub_token,
)
from workers import entry

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below


def fan_row(db: Session, user: str = FAN) -> Fan:
    db.expire_all()
    fan = db.scalar(select(Fan).where(Fan.discord_user_id == user))
    assert fan is not None
    return fan


def test_presave_answers_ephemerally_with_the_personal_link(
    settings: Settings, db: Session
) -> None:
    campaign = bound_campaign(db)
    mock = interaction(settings)
    invoke(discord_bot.presave, mock, None)
    text, link, kwargs = sent(mock)
    assert kwargs["ephemeral"] is True
    assert "You're in" in text and campaign.title in text
    fan = fan_row(db)
    code = db.scalar(select(FanLink.code).where(FanLink.fan_id == fan.id))
    assert link == f"{settings.public_url}/p/{code}"
    consent = db.scalar(select(Consent).where(Consent.fan_id == fan.id))
    assert consent is not None
    source = f"discord-{GUILD}"  # the server the member typed /presave in
    assert (consent.channel, consent.source, consent.status) == ("discord", source, "opted_in")
    events = db.execute(
        select(Event.kind, Event.channel, Event.source).where(Event.fan_id == fan.id)
    )
    assert ("optin", "discord", source) in set(events)
    grant = db.scalar(select(DiscordRoleGrant).where(DiscordRoleGrant.fan_id == fan.id))
    assert grant is not None and grant.status == RoleGrantStatus.WAITING


def test_presave_again_gives_the_same_link_and_no_new_rows(settings: Settings, db: Session) -> None:
    bound_campaign(db)
    first, again = interaction(settings), interaction(settings)
    invoke(discord_bot.presave, first, None)
    invoke(discord_bot.presave, again, None)
    assert sent(first)[1] == sent(again)[1]
    assert "already in" in sent(again)[0]
    fan = fan_row(db)
    assert len(db.scalars(select(Consent).where(Consent.fan_id == fan.id)).all()) == 1
    kinds = db.scalars(select(Event.kind).where(Event.fan_id == fan.id)).all()
    assert sorted(kinds) == ["duplicate_optin", "optin"]


def test_several_campaigns_need_a_choice_and_autocomplete_lists_them(
    settings: Settings, db: Session
) -> None:
    one, two = bound_campaign(db, "ONE"), bound_campaign(db, "TWO")
    make_campaign(db, "ELSEWHERE")  # open, but not bound to this server
    ask = interaction(settings)
    invoke(discord_bot.presave, ask, None)
    text, link, _ = sent(ask)
    assert link is None and one.slug in text and two.slug in text
    choices = run(discord_bot.campaign_choices(interaction(settings), "two"))
    assert [(c.name, c.value) for c in choices] == [(f"{two.title} - Mira Vale", two.slug)]
    everything = run(discord_bot.campaign_choices(interaction(settings), ""))
    assert [c.value for c in everything] == [one.slug, two.slug]
    picked = interaction(settings)
    invoke(discord_bot.presave, picked, two.slug)
    assert sent(picked)[1] is not None and two.title in sent(picked)[0]
    wrong = interaction(settings)
    invoke(discord_bot.presave, wrong, "no-such-campaign")
    assert "isn't running in this server" in sent(wrong)[0]


def test_presave_in_a_server_with_nothing_bound(settings: Settings, db: Session) -> None:
    make_campaign(db)
    mock = interaction(settings)
    invoke(discord_bot.presave, mock, None)
    assert "/presave-setup" in sent(mock)[0] and sent(mock)[1] is None
    assert db.scalar(select(Fan.id)) is None, "nothing recorded"


def test_a_fan_already_authorized_gets_the_role_queued_at_once(
    settings: Settings, db: Session, redis_conn: redis.Redis
) -> None:
    campaign = bound_campaign(db)
    invoke(discord_bot.presave, interaction(settings), None)
    fan = fan_row(db)
    db.add(PreSave(campaign_id=campaign.id, fan_id=fan.id, status="pending"))
    db.commit()
    invoke(discord_bot.presave, interaction(settings), None)
    grant = db.scalar(select(DiscordRoleGrant).where(DiscordRoleGrant.fan_id == fan.id))
    assert grant is not None and grant.status == RoleGrantStatus.QUEUED
    jobs = Queue(queues.DISCORD, connection=redis_conn).get_jobs()
    assert [(j.func, j.args) for j in jobs] == [(entry.grant_roles, ([grant.id],))]


def test_stopalerts_ends_consent_and_cancels_queued_dms(settings: Settings, db: Session) -> None:
    campaign = bound_campaign(db)
    invoke(discord_bot.presave, interaction(settings), None)
    fan = fan_row(db)
    message = ScheduledMessage(campaign_id=campaign.id, kind="countdown", template="t")
    message.send_at = utcnow()
    db.add(message)
    db.flush()
    db.add(Delivery(message_id=message.id, fan_id=fan.id, channel="discord", status="queued"))
    db.commit()
    mock = interaction(settings, command="stopalerts")
    invoke(discord_bot.stopalerts, mock)
    assert "no more DMs" in sent(mock)[0] and "1 waiting message cancelled" in sent(mock)[0]
    db.expire_all()
    assert db.scalar(select(Consent.status)) == ConsentStatus.OPTED_OUT
    assert db.scalar(select(Delivery.status)) == DeliveryStatus.CANCELLED
    # Running /presave again is a new opt-in.
    again = interaction(settings)
    invoke(discord_bot.presave, again, None)
    assert "back on" in sent(again)[0]
    db.expire_all()
    assert db.scalar(select(Consent.status)) == ConsentStatus.OPTED_IN


def test_setup_binds_when_the_bot_can_post_and_give_the_role(
    settings: Settings, db: Session
) -> None:
    campaign = allowed_campaign(db)
    guild, channel = fake_guild()
    mock = interaction(settings, user=MOD, manage=True, command="presave-setup", guild_object=guild)
    invoke(discord_bot.presave_setup, mock, campaign.slug, channel, fake_role())
    text = sent(mock)[0]
    assert "now set up here" in text and f"<#{CHANNEL}>" in text and f"<@&{ROLE}>" in text
    binding = db.scalar(select(DiscordBinding))
    assert binding is not None
    assert (binding.guild_id, binding.channel_id, binding.role_id, binding.bound_by) == (
        GUILD, CHANNEL, ROLE, MOD,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("guild_kwargs", "role_kwargs", "words"),
    [
        ({"manage_roles": False}, {}, "needs the Manage Roles permission"),
        ({"top": 2}, {}, "highest role must be above @Pre-saver"),
        ({"channel_perms": None, "view_only": True}, {}, "Send Messages permission in #drops"),
        ({}, {"managed": True}, "managed by an integration"),
    ],
)
def test_setup_says_exactly_what_is_missing(
    settings: Settings,
    db: Session,
    guild_kwargs: dict[str, object],
    role_kwargs: dict[str, object],
    words: str,
) -> None:
    import discord

    campaign = allowed_campaign(db)
    if guild_kwargs.pop("view_only", False):
        guild_kwargs["channel_perms"] = discord.Permissions(view_channel=True)
    guild, channel = fake_guild(**guild_kwargs)  # type: ignore[arg-type]
    mock = interaction(settings, user=MOD, manage=True, command="presave-setup", guild_object=guild)
    invoke(discord_bot.presave_setup, mock, campaign.slug, channel, fake_role(**role_kwargs))
    text = sent(mock)[0]
    assert "can't set that up" in text and words in text, text
    assert db.scalar(select(DiscordBinding.id)) is None, "nothing bound"


def test_setup_of_a_campaign_the_artist_did_not_allow_asks_the_artist_and_binds_nothing(
    settings: Settings, db: Session
) -> None:
    campaign = make_campaign(db)
    allowed_elsewhere = allowed_campaign(db, "OTHER", guild="999999999999999999")
    for slug in (campaign.slug, allowed_elsewhere.slug):
        guild, channel = fake_guild()
        mock = interaction(
            settings, user=MOD, manage=True, command="presave-setup", guild_object=guild
        )
        invoke(discord_bot.presave_setup, mock, slug, channel, fake_role())
        text, link, kwargs = sent(mock)
        assert kwargs["ephemeral"] is True and link is None
        assert "isn't allowed" in text and "nothing was set up" in text
        assert "The artist has been asked to allow it" in text and f"`{GUILD}`" in text
    assert db.scalar(select(DiscordBinding.id)) is None, "nothing bound"


def test_setup_autocomplete_lists_only_campaigns_allowed_here(
    settings: Settings, db: Session
) -> None:
    here = allowed_campaign(db, "HERE")
    allowed_campaign(db, "THERE", guild="999999999999999999")
    make_campaign(db, "NOWHERE")
    setup = interaction(settings, user=MOD, manage=True, command="presave-setup")
    assert [c.value for c in run(discord_bot.campaign_choices(setup, ""))] == [here.slug]
    fan = interaction(settings)  # /presave: only what is bound here, and nothing is yet
    assert run(discord_bot.campaign_choices(fan, "")) == []


def test_a_disallowed_server_takes_no_new_fans_and_gets_no_drop_post(
    settings: Settings, db: Session
) -> None:
    campaign = bound_campaign(db)
    discord_bindings.disallow(db, campaign, GUILD)
    db.commit()
    mock = interaction(settings)
    invoke(discord_bot.presave, mock, None)
    assert "/presave-setup" in sent(mock)[0] and sent(mock)[1] is None
    assert run(discord_bot.campaign_choices(interaction(settings), "")) == []
    assert db.scalar(select(Fan.id)) is None, "nothing recorded"
    assert discord_bindings.allowed_bindings(db, campaign.id) == []


def test_setup_needs_manage_server(settings: Settings, db: Session) -> None:
    campaign = make_campaign(db)
    guild, channel = fake_guild()
    mock = interaction(settings, manage=False, command="presave-setup", guild_object=guild)
    invoke(discord_bot.presave_setup, mock, campaign.slug, channel, fake_role())
    assert "Manage Server" in sent(mock)[0]
    assert db.scalar(select(DiscordBinding.id)) is None


def test_slow_work_is_deferred_then_followed_up(
    settings: Settings, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop is never blocked: while the database is busy, Discord is told to wait
    ("thinking") within the deadline, and the reply follows."""
    bound_campaign(db)
    monkeypatch.setattr(discord_bot, "DEFER_AFTER", 0.2)
    from bot import discord_commands

    real = discord_commands.presave
    released = threading.Event()

    def slow(*args: object) -> object:
        released.wait(5)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(discord_commands, "presave", slow)
    mock = interaction(settings)
    threading.Timer(0.5, released.set).start()
    began = time.monotonic()
    invoke(discord_bot.presave, mock, None)
    mock.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert mock.response.send_message.await_count == 0
    text, link, kwargs = sent(mock)
    assert kwargs["ephemeral"] is True and link is not None and "You're in" in text
    assert time.monotonic() - began >= 0.5


def test_a_broken_command_answers_and_logs(
    settings: Settings, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import discord_commands

    def broken(*_args: object) -> object:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(discord_commands, "presave", broken)
    mock = interaction(settings)
    invoke(discord_bot.presave, mock, None)
    assert "went wrong on our side" in sent(mock)[0]


def test_commands_are_registered_as_discord_expects(settings: Settings) -> None:
    payloads = {c["name"]: c for c in discord_bot.command_payloads(settings)}
    assert set(payloads) == {"presave", "presave-setup", "stopalerts"}
    setup = payloads["presave-setup"]
    assert int(setup["default_member_permissions"]) == 1 << 5  # MANAGE_GUILD
    options = {o["name"]: o for o in setup["options"]}
    assert options["channel"]["type"] == 7 and options["channel"]["channel_types"] == [0, 5]
    assert options["role"]["type"] == 8 and options["campaign"]["autocomplete"] is True
    assert payloads["presave"]["options"][0]["required"] is False
    assert payloads["presave"]["contexts"] == [0]  # servers only


def test_spotify_authorization_queues_the_fans_role(
    sp_client: FlaskClient,
    sp_settings: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    redis_conn: redis.Redis,
) -> None:
    """The pre-saver role waits for the fan's Spotify authorization, and is queued by it."""
    bound_campaign(db)
    mock = interaction(sp_settings)
    invoke(discord_bot.presave, mock, None)
    link = sent(mock)[1]
    assert link is not None
    grant = db.scalar(select(DiscordRoleGrant))
    assert grant is not None and grant.status == RoleGrantStatus.WAITING
    assert Queue(queues.DISCORD, connection=redis_conn).count == 0
    path = link.removeprefix(sp_settings.public_url) + "/authorize"
    query = authorize_redirect(sp_client, path)
    stub_token(rsps, Tokens(access="AT-discord-fan-1", refresh="RT-discord-fan-1"))
    stub_me(rsps, user_id="discord-fan-on-spotify", country="US")
    status, _html = callback(sp_client, code="good-code-123", state=query["state"])
    assert status == 200
    db.expire_all()
    assert db.scalar(select(DiscordRoleGrant.status)) == RoleGrantStatus.QUEUED
    jobs = Queue(queues.DISCORD, connection=redis_conn).get_jobs()
    assert [(j.func, j.args) for j in jobs] == [(entry.grant_roles, ([grant.id],))]
