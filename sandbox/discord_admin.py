"""/_sandbox/discord/...: seed servers and members, read what the bot posted, arrivals."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.admin import Admin, AdminError, body_of
from sandbox.discord_objects import Channel, Guild, Member, Overwrite, Role, is_snowflake
from sandbox.http import json_response

CHANNEL_TYPES = frozenset({0, 2, 5})  # text, voice, announcement
DEFAULT_OWNER = "100000000000000001"
MAX_BITS = 1 << 64
MAX_GENERATED = 200_000


def _id(value: object, name: str) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not is_snowflake(text):
        raise AdminError(f"{name} must be a Discord id (17 to 20 digits)")
    return text


def _int(value: object, name: str, low: int = 0, high: int = MAX_BITS - 1) -> int:
    """An integer (or its decimal string) within [low, high]."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise AdminError(f"{name} must be an integer from {low} to {high}")
    return int(text)


def _list(data: dict[str, Any], name: str, at: str = "") -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise AdminError(f"{at}{name} must be a list")
    return value


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AdminError(f"{name} must be an object")
    return value


def _flag(data: dict[str, Any], name: str, at: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise AdminError(f"{at}.{name} must be true or false")
    return value


def _role(data: dict[str, Any], at: str, guild_id: str) -> Role:
    role_id = _id(data.get("id"), f"{at}.id")
    everyone = role_id == guild_id
    return Role(
        id=role_id,
        name=str(data.get("name", "@everyone" if everyone else "role")),
        position=_int(data.get("position", 0 if everyone else 1), f"{at}.position", 0, 250),
        permissions=_int(data.get("permissions", 0), f"{at}.permissions"),
        managed=_flag(data, "managed", at),
        mentionable=_flag(data, "mentionable", at),
    )


def _overwrite(data: dict[str, Any], at: str) -> Overwrite:
    return Overwrite(
        id=_id(data.get("id"), f"{at}.id"),
        type=_int(data.get("type", 0), f"{at}.type", 0, 1),
        allow=_int(data.get("allow", 0), f"{at}.allow"),
        deny=_int(data.get("deny", 0), f"{at}.deny"),
    )


def _channel(data: dict[str, Any], at: str, guild_id: str, position: int) -> Channel:
    kind = _int(data.get("type", 0), f"{at}.type")
    if kind not in CHANNEL_TYPES:
        raise AdminError(f"{at}.type must be 0 (text), 2 (voice) or 5 (announcement)")
    where = f"{at}.permission_overwrites"
    overwrites = _list(data, "permission_overwrites", f"{at}.")
    return Channel(
        id=_id(data.get("id"), f"{at}.id"),
        type=kind,
        name=str(data.get("name", "general")),
        guild_id=guild_id,
        position=_int(data.get("position", position), f"{at}.position", 0, 10_000),
        overwrites=tuple(
            _overwrite(_object(o, f"{where}.{n}"), f"{where}.{n}") for n, o in enumerate(overwrites)
        ),
    )


def _members(
    listed: list[Any], at: str, roles: dict[str, Role], guild_id: str
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Members' role ids (known roles only; @everyone dropped) and seeded usernames."""
    members: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for n, raw in enumerate(listed):
        data = _object(raw, f"{at}.{n}")
        user_id = _id(data.get("id"), f"{at}.{n}.id")
        members[user_id] = _role_ids(_list(data, "roles", f"{at}.{n}."), f"{at}.{n}.roles", roles)
        members[user_id].discard(guild_id)
        if "username" in data:
            names[user_id] = str(data["username"])
    return members, names


def _role_ids(values: list[Any], at: str, roles: dict[str, Role]) -> set[str]:
    found = {_id(v, at) for v in values}
    missing = sorted(found - roles.keys())
    if missing:
        raise AdminError(f"{at}: no role {missing[0]} in this server")
    return found


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
        guild_id = _id(data.get("id"), "id")
        owner = _id(data.get("owner_id", DEFAULT_OWNER), "owner_id")
        listed = _list(data, "roles")
        roles = {
            role.id: role
            for role in (_role(_object(x, f"roles.{n}"), f"roles.{n}", guild_id)
                         for n, x in enumerate(listed))
        }  # fmt: skip
        if len(roles) != len(listed):
            raise AdminError("roles: each id may be given once")
        roles.setdefault(guild_id, Role(id=guild_id, name="@everyone", position=0))
        channels = [
            _channel(_object(c, f"channels.{n}"), f"channels.{n}", guild_id, n)
            for n, c in enumerate(_list(data, "channels"))
        ]
        members, names = _members(_list(data, "members"), "members", roles, guild_id)
        bot_id = self.state.config.discord_bot_user_id
        bot_roles = _role_ids(_list(data, "bot_roles"), "bot_roles", roles) - {guild_id}
        if data.get("bot_member", True) is not False:
            members[bot_id] = bot_roles
        joined = self.state.clock.now().isoformat(timespec="microseconds")
        guild = Guild(
            guild_id, str(data.get("name", "server")), owner, roles,
            {user_id: Member(ids, joined) for user_id, ids in members.items()},
        )  # fmt: skip
        self.state.discord.put_guild(guild, channels, names)
        return {"id": guild_id, "roles": len(roles), "channels": len(channels),
                "members": len(members)}  # fmt: skip

    def on_members(self, request: Request) -> dict[str, Any]:
        """Add members to a seeded server: a list and/or `count` new users (ids from `first`
        when given, else new snowflakes); returns the ids added."""
        data = body_of(request)
        store = self.state.discord
        guild = store.guilds.get(str(data.get("guild_id")))
        if guild is None:
            raise AdminError("guild_id: no such seeded server")
        members, names = _members(_list(data, "members"), "members", guild.roles, guild.id)
        count = _int(data.get("count", 0), "count", 0, MAX_GENERATED)
        if "first" in data:
            first = int(_id(data["first"], "first"))
            generated = [_id(first + n, "first + count") for n in range(count)]
        else:
            generated = [store.snowflake() for _ in range(count)]
        members |= {user_id: set() for user_id in generated}
        store.add_members(guild, members, names)
        return {"added": len(members), "ids": list(members)}

    def on_channel_messages(self, request: Request, channel_id: str) -> Response:
        """Every message in a channel, oldest first, with nonce and the roles it pinged."""
        store = self.state.discord
        if channel_id not in store.channels:
            return json_response({"error": "no such channel"}, 404)
        author = store.bot_json(self.state.config.discord_bot_user_id)
        found = [
            m.as_json(author, with_nonce=True) | {"pinged_roles": m.pinged_roles}
            for m in store.messages(channel_id)
        ]
        return json_response({"messages": found})

    def on_discord_user(self, request: Request, user_id: str) -> dict[str, Any]:
        """A user's DMs from the bot (texts, and whole with nonces) and roles per server."""
        store = self.state.discord
        channel_id = store.dm_of_user.get(user_id)
        dms = store.messages(channel_id) if channel_id else []
        author = store.bot_json(self.state.config.discord_bot_user_id)
        with store.lock:
            roles = {g.id: sorted(g.members[user_id].roles) for g in store.guilds.values()
                     if user_id in g.members}  # fmt: skip
        return {
            "id": user_id, "username": store.username(user_id), "dm_channel": channel_id,
            "dms": [m.content for m in dms], "roles": roles,
            "messages": [m.as_json(author, with_nonce=True) for m in dms],
        }  # fmt: skip

    def on_interaction(self, request: Request, token: str) -> dict[str, Any]:
        """What was sent through an interaction's webhook, in order (`edit`: true for edits
        of the original answer, false for follow-ups)."""
        with self.state.discord.lock:
            return {"messages": list(self.state.discord.interactions.get(token, []))}

    def on_discord_arrivals(self, request: Request) -> dict[str, Any]:
        """Discord requests subject to the global limit (refused ones included): how many,
        over what span, the most within any one second; plus the 429 and ban counters."""
        summary: dict[str, Any] = self.state.arrivals.summary("discord")
        return summary | self.state.discord.counters()
