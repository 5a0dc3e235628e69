"""Discord test helpers: a campaign bound to a server, and interactions mocked at discord.py's
boundary (our handlers, services and database run for real)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import requests
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import discord_bindings
from core.settings import Settings
from tests.factories import make_campaign

GUILD = "111111111111111111"
CHANNEL = "222222222222222222"
ROLE = "333333333333333333"
MOD = "444444444444444444"
FAN = "555555555555555555"


def bound_campaign(db: Session, keyword: str = "DROP", guild: str = GUILD) -> Campaign:
    """An open campaign the artist allowed `guild` to bind, bound there (announcements in
    CHANNEL, role ROLE)."""
    campaign = make_campaign(db, keyword)
    discord_bindings.allow(db, campaign, guild)
    discord_bindings.bind(db, campaign.slug, guild, CHANNEL, ROLE, MOD)
    db.commit()
    return campaign


def allowed_campaign(db: Session, keyword: str = "DROP", guild: str = GUILD) -> Campaign:
    """An open campaign the artist allowed `guild` to bind (`presave discord allow`)."""
    campaign = make_campaign(db, keyword)
    discord_bindings.allow(db, campaign, guild)
    db.commit()
    return campaign


def interaction(
    settings: Settings,
    *,
    user: str = FAN,
    guild: str | None = GUILD,
    manage: bool = False,
    command: str = "presave",
    guild_object: Any = None,
) -> Any:
    """A discord.Interaction as discord.py hands it to a command callback."""
    mock = MagicMock(spec=discord.Interaction)
    mock.client = SimpleNamespace(settings=settings)
    mock.user = SimpleNamespace(id=int(user), name=f"user{user[-4:]}")
    mock.guild_id = int(guild) if guild else None
    mock.guild = guild_object
    mock.permissions = discord.Permissions(manage_guild=manage)
    mock.command = SimpleNamespace(name=command)
    mock.response = SimpleNamespace(send_message=AsyncMock(), defer=AsyncMock())
    mock.followup = SimpleNamespace(send=AsyncMock())
    return mock


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a callback on a fresh event loop."""
    return asyncio.run(coroutine)


def invoke(command: Any, *args: Any) -> None:
    """Call a slash command's callback as discord.py does (interaction first)."""
    run(command.callback(*args))


def sent(mock: Any) -> tuple[str, str | None, dict[str, Any]]:
    """(text, link button URL or None, keyword arguments) of the one answer given."""
    calls = mock.response.send_message.await_args_list + mock.followup.send.await_args_list
    assert len(calls) == 1, calls
    args, kwargs = calls[0].args, calls[0].kwargs
    view = kwargs.get("view")
    urls = [item.url for item in view.children] if view is not None else []
    assert len(urls) <= 1
    return args[0], (urls[0] if urls else None), kwargs


def fake_guild(
    *, manage_roles: bool = True, top: int = 5, channel_perms: discord.Permissions | None = None
) -> tuple[Any, Any]:
    """A guild as discord.py caches it (its bot member) and a text channel in it."""
    me = SimpleNamespace(
        guild_permissions=discord.Permissions(manage_roles=manage_roles),
        top_role=SimpleNamespace(position=top),
    )
    guild = SimpleNamespace(id=int(GUILD), name="Night Bloom Fans", me=me)
    allowed = channel_perms or discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        mention_everyone=True,
        read_message_history=True,
    )
    channel = SimpleNamespace(
        id=int(CHANNEL),
        name="drops",
        type=discord.ChannelType.text,
        permissions_for=lambda member: allowed,
    )
    return guild, channel


def fake_role(**fields: object) -> Any:
    """A discord.Role as the command option resolves it."""
    values: dict[str, object] = {"id": int(ROLE), "name": "Pre-saver", "position": 2}
    values |= {"managed": False, "mentionable": False} | fields
    return SimpleNamespace(**values)


BOT_ROLE = "666666666666666666"
POSTING = 1024 | 2048 | 16384 | 65536  # view, send, embed links, read history


def seed_guild(sandbox_url: str, *, members: tuple[str, ...] = (), **knobs: object) -> None:
    """The stand-in's server: the bot (Manage Roles, above the pre-saver role), the drops
    channel, the pre-saver role (mentionable) and these members."""
    body = {
        "id": GUILD,
        "owner_id": MOD,
        "roles": [
            {"id": GUILD, "permissions": POSTING},
            {"id": BOT_ROLE, "name": "presave", "position": 5, "permissions": 1 << 28},
            {"id": ROLE, "name": "Pre-saver", "position": 2, "mentionable": True},
        ],
        "bot_roles": [BOT_ROLE],
        "channels": [{"id": CHANNEL, "name": "drops", "type": 0}],
        "members": [{"id": m} for m in members],
    }
    answer = requests.post(f"{sandbox_url}/_sandbox/discord/guilds", json=body, timeout=30)
    answer.raise_for_status()
    if knobs:
        requests.post(f"{sandbox_url}/_sandbox/config", json=knobs, timeout=30).raise_for_status()
