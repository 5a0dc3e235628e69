"""The Discord gateway bot: slash commands synced in setup_hook, dependencies passed in.

Handlers only translate: discord.py objects in, `bot.discord_commands` (blocking database
work, run in a thread so the event loop never waits on it) and a reply out. An answer is
due within 3 seconds: work not done in DEFER_AFTER is deferred ("thinking") and its reply
sent as a follow-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

import discord
from discord import app_commands

from bot import discord_commands as commands
from bot import discord_facts
from bot.discord_commands import Caller, Reply
from core.discord_permissions import SetupFacts
from core.settings import Settings

log = logging.getLogger(__name__)
DEFER_AFTER = 2.0  # seconds: Discord waits 3 for the first answer
CHOICES_WITHIN = 2.0


class PresaveBot(discord.Client):
    """A gateway client that carries the settings its commands need."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(intents=discord.Intents.default())
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        for command in COMMANDS:
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        """Sync the slash commands once, at start."""
        synced = await self.tree.sync()
        log.info("discord: %d application commands synced", len(synced))


def settings_of(interaction: discord.Interaction[Any]) -> Settings:
    """The settings of the bot that received the interaction."""
    return cast(PresaveBot, interaction.client).settings


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """Who ran the command, where, and whether they may manage the server."""
    guild = str(interaction.guild_id) if interaction.guild_id else None
    manage = interaction.permissions.manage_guild
    server = interaction.guild  # None when not in the bot's cache
    server_name = server.name if server is not None else None
    return Caller(str(interaction.user.id), guild, manage, interaction.user.name, server_name)


def _view(reply: Reply) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if reply.link:
        view.add_item(discord.ui.Button(label=reply.link_label, url=reply.link))
    return view


async def answer(interaction: discord.Interaction[Any], work: Callable[[], Reply]) -> None:
    """Run `work` off the event loop and answer ephemerally, deferring when it is slow."""
    task = asyncio.ensure_future(asyncio.to_thread(commands.guarded, work))
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await task
        await interaction.followup.send(reply.text, view=_view(reply), ephemeral=True)
        return
    reply = task.result()
    await interaction.response.send_message(reply.text, view=_view(reply), ephemeral=True)


async def campaign_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Campaign autocomplete: nothing rather than a late answer."""
    command = interaction.command.name if interaction.command else commands.PRESAVE
    work = lambda: commands.campaign_choices(  # noqa: E731
        settings_of(interaction), caller_of(interaction), command, current
    )
    try:
        found = await asyncio.wait_for(asyncio.to_thread(work), CHOICES_WITHIN)
    except (TimeoutError, Exception):
        log.warning("discord: campaign autocomplete failed or was late", exc_info=True)
        return []
    return [app_commands.Choice(name=label, value=slug) for label, slug in found]


@app_commands.command(name=commands.PRESAVE, description="Get your personal pre-save link")
@app_commands.describe(campaign="Which release, when several are running in this server")
@app_commands.guild_only()
async def presave(interaction: discord.Interaction[Any], campaign: str | None = None) -> None:
    """/presave [campaign]."""
    settings, caller = settings_of(interaction), caller_of(interaction)
    await answer(interaction, lambda: commands.presave(settings, caller, campaign))


@app_commands.command(name=commands.SETUP, description="Bind a release to this server")
@app_commands.describe(
    campaign="The release (its campaign)",
    channel="Where the drop-day post goes",
    role="The role fans get once they pre-save",
)
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
async def presave_setup(
    interaction: discord.Interaction[Any],
    campaign: str,
    channel: discord.TextChannel,
    role: discord.Role,
) -> None:
    """/presave-setup campaign channel role (Manage Server only)."""
    settings, caller = settings_of(interaction), caller_of(interaction)
    guild = interaction.guild
    if guild is None:
        await answer(interaction, commands.not_in_server)
        return

    def facts() -> SetupFacts:
        assert guild is not None
        return discord_facts.from_cache(guild, channel, role)

    ids = str(channel.id), str(role.id)
    await answer(interaction, lambda: commands.setup(settings, caller, campaign, *ids, facts))


@app_commands.command(name=commands.STOP, description="Stop drop-day DMs from this bot")
async def stopalerts(interaction: discord.Interaction[Any]) -> None:
    """/stopalerts."""
    settings, caller = settings_of(interaction), caller_of(interaction)
    await answer(interaction, lambda: commands.stop_alerts(settings, caller))


presave.autocomplete("campaign")(campaign_choices)
presave_setup.autocomplete("campaign")(campaign_choices)
COMMANDS: tuple[app_commands.Command[Any, ..., None], ...] = (presave, presave_setup, stopalerts)


def command_payloads(settings: Settings) -> list[dict[str, Any]]:
    """The commands as Discord's API takes them (what setup_hook syncs), for registering
    them without a gateway connection (HTTP interactions only)."""
    bot = PresaveBot(settings)
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


def run_bot(settings: Settings) -> None:
    """Connect and serve until stopped (needs DISCORD_BOT_TOKEN)."""
    token = settings.discord_bot_token
    if not token:
        raise RuntimeError("DISCORD_BOT_TOKEN is not set")
    if not settings.gateway_bot:
        raise RuntimeError(
            f"DISCORD_API_BASE is {settings.discord_api_base}: a stand-in has no gateway, "
            "so the bot cannot connect; use HTTP interactions (presave discord register)"
        )
    PresaveBot(settings).run(token, log_handler=None)
