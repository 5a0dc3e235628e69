"""Interactions as Discord posts them: a slash command run by a member of a server.

The shape follows Discord's Interaction object (type 2, APPLICATION_COMMAND): the server and
channel ids, the member (user, role ids, their permissions in that channel as a string),
the command's name and options (with `resolved` channels and roles), the application id
and a token for the interaction's webhook.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sandbox.discord_objects import Channel, Guild
from sandbox.discord_perms import member_permissions
from sandbox.discord_store import DiscordStore

APPLICATION_COMMAND = 2
CHAT_INPUT = 1
STRING, CHANNEL, ROLE = 3, 7, 8
# Our slash commands and their options, as the bot registers them: (name, type, required).
COMMANDS: dict[str, tuple[tuple[str, int, bool], ...]] = {
    "presave": (("campaign", STRING, False),),
    "presave-setup": (("campaign", STRING, True), ("channel", CHANNEL, True),
                      ("role", ROLE, True)),
    "stopalerts": (),
}  # fmt: skip
COMMAND_IDS = {name: str(1200000000000000100 + n) for n, name in enumerate(COMMANDS)}
MAX_STRING = 100  # Discord's limit on a string option's value


class PayloadError(ValueError):
    """A command the stand-in cannot send: the message names the field."""


@dataclass(frozen=True)
class Command:
    """What the console asks for: who runs which command where, with which options."""

    guild_id: str
    channel_id: str
    user_id: str
    name: str
    options: dict[str, str]


def _server(store: DiscordStore, command: Command) -> tuple[Guild, Channel]:
    guild = store.guilds.get(command.guild_id)
    if guild is None:
        raise PayloadError("guild_id: no such server in the sandbox")
    channel = store.channels.get(command.channel_id)
    if channel is None or channel.guild_id != guild.id:
        raise PayloadError("channel_id: no such channel in that server")
    if command.user_id not in guild.members:
        raise PayloadError("user_id: not a member of that server")
    return guild, channel


def _options(
    store: DiscordStore, guild: Guild, command: Command
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The options as Discord sends them, and the channels and roles they resolve to."""
    spec = COMMANDS.get(command.name)
    if spec is None:
        raise PayloadError(f"name: one of {', '.join('/' + c for c in COMMANDS)}")
    unknown = sorted(set(command.options) - {name for name, _, _ in spec})
    if unknown:
        raise PayloadError(f"options.{unknown[0]}: /{command.name} has no such option")
    options: list[dict[str, Any]] = []
    resolved: dict[str, Any] = {}
    for name, kind, required in spec:
        value = command.options.get(name, "").strip()
        if not value:
            if required:
                raise PayloadError(f"options.{name}: required by /{command.name}")
            continue
        if kind == STRING and len(value) > MAX_STRING:
            raise PayloadError(f"options.{name}: at most {MAX_STRING} characters")
        if kind == CHANNEL:
            channel = store.channels.get(value)
            if channel is None or channel.guild_id != guild.id:
                raise PayloadError(f"options.{name}: no such channel in this server")
            resolved.setdefault("channels", {})[value] = {
                "id": value, "type": channel.type, "name": channel.name, "permissions": "0",
            }  # fmt: skip
        if kind == ROLE:
            role = guild.roles.get(value)
            if role is None:
                raise PayloadError(f"options.{name}: no such role in this server")
            resolved.setdefault("roles", {})[value] = role.as_json()
        options.append({"name": name, "type": kind, "value": value})
    return options, resolved


def interaction(
    store: DiscordStore, command: Command, application_id: str, bot_id: str, interaction_id: str
) -> dict[str, Any]:
    """The JSON body Discord would post for `command` (with a new webhook token)."""
    guild, channel = _server(store, command)
    options, resolved = _options(store, guild, command)
    member = guild.members[command.user_id]
    data: dict[str, Any] = {
        "id": COMMAND_IDS[command.name], "name": command.name, "type": CHAT_INPUT,
        "guild_id": guild.id, "options": options,
    }  # fmt: skip
    if resolved:
        data["resolved"] = resolved
    permissions = member_permissions(guild, channel, command.user_id)
    return {
        "id": interaction_id,
        "application_id": application_id,
        "type": APPLICATION_COMMAND,
        "data": data,
        "guild_id": guild.id,
        "guild": {"id": guild.id, "locale": "en-US", "features": []},
        "channel_id": channel.id,
        "channel": {"id": channel.id, "type": channel.type, "name": channel.name,
                    "guild_id": guild.id},
        "member": {
            "user": store.user_json(command.user_id), "roles": sorted(member.roles),
            "permissions": str(permissions), "joined_at": member.joined_at, "nick": None,
            "deaf": False, "mute": False, "flags": 0, "pending": False,
        },
        "token": "sandbox-" + secrets.token_urlsafe(48),
        "version": 1,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": str(member_permissions(guild, channel, bot_id)),
        "entitlements": [],
        "context": 0,
    }  # fmt: skip
