"""The Discord client: app commands synced in setup_hook, dependencies passed in."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from core.settings import Settings

log = logging.getLogger(__name__)


class PresaveBot(discord.Client):
    """A gateway client that carries the settings its commands need."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(intents=discord.Intents.default())
        self.settings = settings
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        """Sync the slash commands registered on the tree."""
        synced = await self.tree.sync()
        log.info("discord: %d application commands synced", len(synced))


def run_bot(settings: Settings) -> None:
    """Connect and serve until stopped (needs DISCORD_BOT_TOKEN)."""
    token = settings.discord_bot_token
    if not token:
        raise RuntimeError("DISCORD_BOT_TOKEN is not set")
    PresaveBot(settings).run(token, log_handler=None)
