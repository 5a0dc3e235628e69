"""Discord's permission bits and its documented algorithm (developer docs, "Permissions"),
and which mentions of a message really ping."""

from __future__ import annotations

import re
from typing import Any

from sandbox.discord_objects import Channel, Guild, Role

CREATE_INSTANT_INVITE, ADMINISTRATOR, MANAGE_GUILD = 1 << 0, 1 << 3, 1 << 5
VIEW_CHANNEL, SEND_MESSAGES, SEND_TTS_MESSAGES = 1 << 10, 1 << 11, 1 << 12
EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY = 1 << 14, 1 << 15, 1 << 16
MENTION_EVERYONE, MANAGE_ROLES = 1 << 17, 1 << 28
ALL = (1 << 53) - 1  # every bit Discord could define; the owner and administrators have all
# Denied SEND_MESSAGES takes these with it (docs: "implicit permissions").
NEEDS_SEND = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS
ROLE_MENTION = re.compile(r"<@&(\d{17,20})>")
EVERYONE_MENTION = re.compile(r"@(?:everyone|here)\b")
PARSE_KINDS = frozenset({"roles", "users", "everyone"})


def base_permissions(guild: Guild, user_id: str) -> int:
    """Guild-level permissions: the owner has all; @everyone OR each of the member's roles;
    ADMINISTRATOR means all."""
    if user_id == guild.owner_id:
        return ALL
    everyone = guild.roles.get(guild.id)
    perms = everyone.permissions if everyone else 0
    member = guild.members.get(user_id)
    for role_id in member.roles if member else ():
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return ALL if perms & ADMINISTRATOR else perms


def channel_permissions(guild: Guild, channel: Channel, user_id: str) -> int:
    """Permissions in a channel: base, then the @everyone overwrite, the member's role
    overwrites together, the member's own overwrite; nothing at all without VIEW_CHANNEL."""
    perms = base_permissions(guild, user_id)
    if perms == ALL:
        return ALL
    member = guild.members.get(user_id)
    roles = member.roles if member else set()
    role_allow = role_deny = 0
    everyone = own = None
    for overwrite in channel.overwrites:
        if overwrite.type == 0 and overwrite.id == guild.id:
            everyone = overwrite
        elif overwrite.type == 0 and overwrite.id in roles:
            role_allow, role_deny = role_allow | overwrite.allow, role_deny | overwrite.deny
        elif overwrite.type == 1 and overwrite.id == user_id:
            own = overwrite
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    perms = (perms & ~role_deny) | role_allow
    if own is not None:
        perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms if perms & SEND_MESSAGES else perms & ~NEEDS_SEND


def member_permissions(guild: Guild | None, channel: Channel, user_id: str) -> int:
    """A user's permissions in a server channel: none unless they are in the server."""
    if guild is None or (user_id not in guild.members and user_id != guild.owner_id):
        return 0
    return channel_permissions(guild, channel, user_id)


def top_position(guild: Guild, user_id: str) -> int:
    """The position of a member's highest role (0: only @everyone)."""
    member = guild.members.get(user_id)
    found = (guild.roles[r].position for r in member.roles if r in guild.roles) if member else ()
    return max(found, default=0)


def may_assign(guild: Guild, role: Role, user_id: str) -> bool:
    """Whether a member may give or take `role`: MANAGE_ROLES and a higher top role (the
    owner always), never a managed role or @everyone."""
    if role.managed or role.id == guild.id:
        return False
    if user_id == guild.owner_id:
        return True
    allowed = base_permissions(guild, user_id) & MANAGE_ROLES
    return bool(allowed) and role.position < top_position(guild, user_id)


def pings(
    guild: Guild | None, perms: int, content: str, allowed: dict[str, Any] | None
) -> tuple[list[str], bool]:
    """(roles pinged, whether @everyone/@here pinged): a mention counts when allowed_mentions
    allows it (absent: everything) and the role is mentionable or the sender may mention
    everyone."""
    if guild is None:
        return [], False
    parse = PARSE_KINDS if allowed is None else set(allowed.get("parse") or [])
    listed = {str(r) for r in (allowed or {}).get("roles") or []}
    roles: list[str] = []
    for role_id in ROLE_MENTION.findall(content):
        role = guild.roles.get(role_id)
        wanted = "roles" in parse or role_id in listed
        if role is None or not wanted or role_id in roles:
            continue
        if role.mentionable or perms & MENTION_EVERYONE:
            roles.append(role_id)
    everyone = bool(
        "everyone" in parse and perms & MENTION_EVERYONE and EVERYONE_MENTION.search(content)
    )
    return roles, everyone
