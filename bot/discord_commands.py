"""The Discord commands, whichever way they arrive (gateway bot or HTTP interactions).

Each runs its own unit of work and returns what to answer; the front ends only translate
Discord's objects in and the Reply out. Blocking: the gateway bot runs these in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core import queues, runtime
from core.db import read_only, transaction
from core.discord_permissions import SetupFacts, check_setup
from core.services import discord_bindings, discord_fans, discord_requests
from core.services.discord_fans import JoinStatus
from core.settings import Settings
from messages import render
from workers import entry

log = logging.getLogger(__name__)
LINK_LABEL = "Pre-save on Spotify"
PRESAVE, SETUP, STOP = "presave", "presave-setup", "stopalerts"


@dataclass(frozen=True)
class Caller:
    """Who ran a command, where, and whether they may manage the server."""

    user_id: str
    guild_id: str | None
    can_manage_guild: bool = False
    user_name: str | None = None  # as Discord gave them, when it did
    guild_name: str | None = None


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer, with a link button when `link` is set."""

    text: str
    link: str | None = None
    link_label: str = LINK_LABEL


def not_in_server() -> Reply:
    """Commands that need a server, run in a DM."""
    return Reply("Run this command in a server channel.")


def presave(settings: Settings, caller: Caller, slug: str | None) -> Reply:
    """/presave [campaign]: opt the member in and hand them their personal link."""
    if caller.guild_id is None:
        return not_in_server()
    with transaction(settings.database_url) as session:
        joined = discord_fans.join(
            session, settings.public_url, caller.user_id, caller.guild_id, slug
        )
    if joined.role_grant_id is not None:
        runtime.enqueue_quietly(settings, queues.DISCORD, entry.grant_roles, [joined.role_grant_id])
    if joined.status is JoinStatus.NOTHING_HERE:
        return Reply(render("discord_nothing_here"))
    if joined.campaign is None or joined.link is None:
        titles = [f"{c.title} ({c.slug})" for c in joined.options]
        unknown = joined.status is JoinStatus.UNKNOWN
        return Reply(render("discord_choose", titles=titles, unknown=unknown))
    template = "discord_again" if joined.status is JoinStatus.AGAIN else "discord_joined"
    text = render(
        template,
        title=joined.campaign.title,
        artist=joined.campaign.artist,
        rejoined=joined.rejoined,
    )
    return Reply(text, link=joined.link)


def stop_alerts(settings: Settings, caller: Caller) -> Reply:
    """/stopalerts: the member's Discord consent ends; nothing more is sent to them."""
    with transaction(settings.database_url) as session:
        cancelled = discord_fans.stop_alerts(session, caller.user_id)
    return Reply(render("discord_stopped", program=settings.program_name, cancelled=cancelled))


def setup(
    settings: Settings,
    caller: Caller,
    slug: str,
    channel_id: str,
    role_id: str,
    facts: Callable[[], SetupFacts | str],
) -> Reply:
    """/presave-setup campaign channel role: check, then bind. `facts` says what the bot may
    do there (or why that cannot be known); it is asked only once the rest is in order."""
    if caller.guild_id is None:
        return not_in_server()
    if not caller.can_manage_guild:
        return Reply("You need the Manage Server permission to run `/presave-setup`.")
    with read_only(settings.database_url) as session:
        campaign = discord_bindings.open_campaign(session, slug.strip())
        allowed = campaign is not None and discord_bindings.is_allowed(
            session, campaign.campaign_id, caller.guild_id
        )
    if campaign is None:
        return Reply(
            f"No open campaign `{slug[:80]}`: pick one from the list as you type, or type the "
            "campaign's slug as the artist gave it (the end of its page's link, /c/slug)."
        )
    if not allowed:
        return ask_artist(settings, caller, campaign)
    learnt = facts()
    if isinstance(learnt, str):
        return Reply(render("discord_setup_refused", problems=[learnt]))
    checked = check_setup(learnt)
    if checked.problems:
        return Reply(render("discord_setup_refused", problems=list(checked.problems)))
    try:
        with transaction(settings.database_url) as session:
            _, created = discord_bindings.bind(
                session, campaign.slug, caller.guild_id, channel_id, role_id, caller.user_id
            )
    except discord_bindings.NotAllowed:  # disallowed while the server was being checked
        return ask_artist(settings, caller, campaign)
    text = render(
        "discord_setup_done",
        title=campaign.title,
        artist=campaign.artist,
        created=created,
        channel_id=channel_id,
        role_id=role_id,
        warnings=list(checked.warnings),
    )
    return Reply(text)


def ask_artist(settings: Settings, caller: Caller, campaign: discord_bindings.Bound) -> Reply:
    """The server may not bind the campaign: record its request for the artist's Discord
    page (nothing is bound) and say so, naming only the campaign the admin typed."""
    assert caller.guild_id is not None
    asker = discord_requests.Asker(
        caller.guild_id, caller.user_id, caller.guild_name, caller.user_name
    )
    with transaction(settings.database_url) as session:
        recorded = discord_requests.record(session, campaign.campaign_id, asker)
    text = render(
        "discord_setup_not_allowed",
        title=campaign.title,
        artist=campaign.artist,
        guild_id=caller.guild_id,
        asked=recorded.asked.value,
        times=recorded.times,
    )
    return Reply(text)


def campaign_choices(
    settings: Settings, caller: Caller, command: str, typed: str
) -> list[tuple[str, str]]:
    """Autocomplete for the campaign option: bound here for /presave, allowed here by the
    artist for /presave-setup; never another server's campaigns."""
    if caller.guild_id is None:
        return []
    with read_only(settings.database_url) as session:
        if command == SETUP:
            found = discord_bindings.allowed_in(session, caller.guild_id)
        else:
            found = discord_bindings.bound_in(session, caller.guild_id)
    return discord_bindings.choices(found, typed)


def guarded(work: Callable[[], Reply]) -> Reply:
    """Run a command; a failure on our side is logged and answered with an apology."""
    try:
        return work()
    except Exception:
        log.exception("discord command failed")
        return Reply(render("discord_error"))
