"""core may not import the sandbox, so the demo server's ids are written twice: the demo
campaign's binding (core) and the server the Discord stand-in starts with (sandbox)."""

from __future__ import annotations

from core.services import demo_album, sandbox_discord
from sandbox import discord_demo


def test_the_demo_campaign_is_bound_where_the_sandbox_has_its_server() -> None:
    assert demo_album.GUILD_ID == sandbox_discord.DEMO_GUILD_ID == discord_demo.DEMO_GUILD_ID
    assert demo_album.CHANNEL_ID == discord_demo.DEMO_ANNOUNCEMENTS_ID
    assert demo_album.ROLE_ID == discord_demo.DEMO_PRESAVER_ROLE_ID
