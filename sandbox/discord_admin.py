"""/_sandbox/discord/...: seed servers and members, read what the bot posted, arrivals."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.admin import Admin, AdminError, body_of
from sandbox.config import SANDBOX_DISCORD_BOT_USER_ID
from sandbox.discord_store import Channel, Guild, Role, is_snowflake
from sandbox.http import json_response


def _snowflake(value: object, name: str) -> str:
    text = str(value)
    if not is_snowflake(text):
        raise AdminError(f"{name} must be a Discord id (17 to 20 digits)")
    return text


def _role(data: dict[str, Any], at: str, guild_id: str) -> Role:
    role_id = _snowflake(data.get("id"), f"{at}.id")
    return Role(
        id=role_id,
        name=str(data.get("name", "@everyone" if role_id == guild_id else "role")),
        position=int(data.get("position", 0 if role_id == guild_id else 1)),
        permissions=int(data.get("permissions", 0)),
        managed=bool(data.get("managed", False)),
        mentionable=bool(data.get("mentionable", False)),
    )


class DiscordAdmin(Admin):
    """Test and benchmark control of the Discord stand-in."""

    service = "discord_admin"
    routes: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("/_sandbox/discord/guilds", "guilds", ("POST",)),
        ("/_sandbox/discord/members", "members", ("POST",)),
        ("/_sandbox/discord/channels/<channel_id>/messages", "channel_messages", ("GET",)),
        ("/_sandbox/discord/users/<user_id>", "discord_user", ("GET",)),
        ("/_sandbox/discord/interactions/<token>", "interaction", ("GET",)),
        ("/_sandbox/discord/arrivals", "discord_arrivals", ("GET",)),
    )

    def on_guilds(self, request: Request) -> dict[str, Any]:
        """Seed (or replace) a server: roles, channels, members; the bot is a member."""
        data = body_of(request)
        guild_id = _snowflake(data.get("id"), "id")
        listed = [_role(x, f"roles.{n}", guild_id) for n, x in enumerate(data.get("roles", []))]
        roles = {r.id: r for r in listed}
        roles.setdefault(guild_id, Role(id=guild_id, name="@everyone", position=0))
        members = {
            _snowflake(m.get("id"), f"members.{n}.id"): {str(r) for r in m.get("roles", [])}
            for n, m in enumerate(data.get("members", []))
        }
        members[SANDBOX_DISCORD_BOT_USER_ID] = {str(r) for r in data.get("bot_roles", [])}
        guild = Guild(guild_id, str(data.get("name", "server")), str(data.get("owner_id", "")),
                      roles, members)  # fmt: skip
        store = self.state.discord
        with store.lock:
            store.guilds[guild_id] = guild
            for n, c in enumerate(data.get("channels", [])):
                channel_id = _snowflake(c.get("id"), f"channels.{n}.id")
                store.channels[channel_id] = Channel(
                    id=channel_id, type=int(c.get("type", 0)), name=str(c.get("name", "general")),
                    guild_id=guild_id, overwrites=list(c.get("permission_overwrites", [])),
                )  # fmt: skip
        return {"id": guild_id, "roles": len(roles), "members": len(members)}

    def on_members(self, request: Request) -> dict[str, Any]:
        """Add members to a seeded server: a list, and/or `count` with ids from `first`."""
        data = body_of(request)
        guild = self.state.discord.guilds.get(str(data.get("guild_id")))
        if guild is None:
            raise AdminError("guild_id: no such seeded server")
        ids = [_snowflake(m.get("id"), "members.id") for m in data.get("members", [])]
        first = int(data.get("first", 600_000_000_000_000_000))
        ids += [str(first + n) for n in range(int(data.get("count", 0)))]
        with self.state.discord.lock:
            for user_id in ids:
                guild.members.setdefault(user_id, set())
        return {"added": len(ids)}

    def on_channel_messages(self, request: Request, channel_id: str) -> dict[str, Any]:
        """Every message in a channel, oldest first, with nonce and pinged roles."""
        store = self.state.discord
        with store.lock:
            found = list(store.messages.get(channel_id, []))
        return {
            "messages": [
                m.as_json(with_nonce=True) | {"pinged_roles": m.pinged_roles} for m in found
            ]
        }

    def on_discord_user(self, request: Request, user_id: str) -> dict[str, Any]:
        """A user's DMs from the bot and their roles in each server."""
        store = self.state.discord
        channel_id = store.dm_of_user.get(user_id)
        with store.lock:
            dms = list(store.messages.get(channel_id, [])) if channel_id else []
            roles = {g.id: sorted(g.members[user_id]) for g in store.guilds.values()
                     if user_id in g.members}  # fmt: skip
        return {"dm_channel": channel_id, "dms": [m.content for m in dms], "roles": roles}

    def on_interaction(self, request: Request, token: str) -> dict[str, Any]:
        """What was posted through an interaction's webhook (edits and follow-ups)."""
        with self.state.discord.lock:
            return {"messages": list(self.state.discord.interaction_messages.get(token, []))}

    def on_discord_arrivals(self, request: Request) -> Response:
        """Requests the bot made (refused ones included): how many, over what span, and the
        most whose arrivals fall within any one second."""
        store = self.state.discord
        body = self.state.arrivals.summary("discord") | store.counts
        return json_response(body | {"invalid_requests": store.invalid_count()})
