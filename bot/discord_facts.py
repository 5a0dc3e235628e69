"""What /presave-setup needs to know about a server, from discord.py's cache (gateway bot)
or from Discord's REST API (HTTP interactions, which carry no server state)."""

from __future__ import annotations

from typing import Any

import discord

from core.discord_permissions import SetupFacts, effective, overwrites_of
from core.providers import ProviderError, discord_rest
from core.providers.discord_rest import DiscordApi, MissingPermissions, UnknownObject


def from_cache(guild: discord.Guild, channel: Any, role: discord.Role) -> SetupFacts:
    """The facts as the gateway bot's cache knows them."""
    me = guild.me
    return SetupFacts(
        guild_id=str(guild.id),
        channel_name=str(channel.name),
        channel_type=int(channel.type.value),
        channel_permissions=channel.permissions_for(me).value,
        guild_permissions=me.guild_permissions.value,
        bot_top_position=me.top_role.position,
        role_id=str(role.id),
        role_name=role.name,
        role_position=role.position,
        role_managed=role.managed,
        role_mentionable=role.mentionable,
    )


def _role_map(roles: Any) -> dict[str, dict[str, Any]]:
    return (
        {str(r.get("id")): r for r in roles if isinstance(r, dict)}
        if isinstance(roles, list)
        else {}
    )


def from_rest(api: DiscordApi, guild_id: str, channel_id: str, role_id: str) -> SetupFacts | str:
    """The facts from Discord's REST API, or a sentence saying why they cannot be read."""
    try:
        bot_id = discord_rest.bot_user_id(api)
        guild = discord_rest.get(api, f"/guilds/{guild_id}")
        roles = _role_map(discord_rest.get(api, f"/guilds/{guild_id}/roles"))
        member = discord_rest.get(api, f"/guilds/{guild_id}/members/{bot_id}")
        channel = discord_rest.get(api, f"/channels/{channel_id}")
    except MissingPermissions:
        return (
            "the bot is not in this server: invite it with the bot and applications.commands scopes"
        )
    except UnknownObject as exc:
        return f"Discord does not know that server, channel or member ({exc.message})"
    except ProviderError as exc:
        return f"Discord did not answer the bot's lookups ({exc.detail}): try again in a minute"
    if not isinstance(channel, dict) or not isinstance(member, dict):
        return "Discord answered the bot's lookups in a shape it does not know"
    if str(channel.get("guild_id")) != guild_id:
        return "that channel is not in this server"
    role = roles.get(role_id)
    if role is None:
        return "that role is gone from this server"
    member_roles = [str(r) for r in member.get("roles", []) or []]
    permissions = {rid: int(r.get("permissions") or 0) for rid, r in roles.items()}
    server, in_channel = effective(
        guild_id=guild_id,
        member_id=bot_id,
        member_roles=member_roles,
        role_permissions=permissions,
        is_owner=isinstance(guild, dict) and str(guild.get("owner_id")) == bot_id,
        overwrites=overwrites_of(channel),
    )
    top = max((int(roles[r].get("position") or 0) for r in member_roles if r in roles), default=0)
    return SetupFacts(
        guild_id=guild_id,
        channel_name=str(channel.get("name") or channel_id),
        channel_type=int(channel.get("type") or 0),
        channel_permissions=in_channel,
        guild_permissions=server,
        bot_top_position=top,
        role_id=role_id,
        role_name=str(role.get("name") or role_id),
        role_position=int(role.get("position") or 0),
        role_managed=bool(role.get("managed")),
        role_mentionable=bool(role.get("mentionable")),
    )
