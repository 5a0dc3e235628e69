"""What the bot may do in a server, and whether /presave-setup's channel and role will work.

Pure functions. The gateway bot reads the facts off discord.py's cache; the HTTP
interactions endpoint computes them from Discord's REST answers with `effective` below,
which follows Discord's documented order (owner, administrator, @everyone, roles, then
the channel's overwrites: @everyone, roles, member).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from discord import Permissions

ALL = Permissions.all().value
ADMINISTRATOR = Permissions(administrator=True).value
VIEW_CHANNEL = Permissions(view_channel=True).value
SEND_MESSAGES = Permissions(send_messages=True).value
EMBED_LINKS = Permissions(embed_links=True).value
MENTION_EVERYONE = Permissions(mention_everyone=True).value
READ_MESSAGE_HISTORY = Permissions(read_message_history=True).value
MANAGE_ROLES = Permissions(manage_roles=True).value
MANAGE_GUILD = Permissions(manage_guild=True).value
TEXT_CHANNELS = frozenset({0, 5})  # GUILD_TEXT, GUILD_ANNOUNCEMENT


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite for a role (kind 0) or a member (kind 1)."""

    id: str
    kind: int
    allow: int
    deny: int


def _bits(value: Any) -> int:
    """Discord sends permissions as decimal strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def overwrites_of(channel: Mapping[str, Any]) -> list[Overwrite]:
    """A REST channel object's overwrites."""
    found = channel.get("permission_overwrites")
    return [
        Overwrite(
            str(o.get("id")), _bits(o.get("type")), _bits(o.get("allow")), _bits(o.get("deny"))
        )
        for o in (found if isinstance(found, list) else [])
        if isinstance(o, dict)
    ]


def effective(
    *,
    guild_id: str,
    member_id: str,
    member_roles: Iterable[str],
    role_permissions: Mapping[str, int],
    is_owner: bool,
    overwrites: Iterable[Overwrite] = (),
) -> tuple[int, int]:
    """(server-wide permissions, permissions in the channel with these overwrites)."""
    if is_owner:
        return ALL, ALL
    roles = set(member_roles) - {guild_id}
    base = role_permissions.get(guild_id, 0)
    for role in roles:
        base |= role_permissions.get(role, 0)
    if base & ADMINISTRATOR:
        return ALL, ALL
    perms, allow, deny = base, 0, 0
    listed = list(overwrites)
    for o in listed:
        if o.kind == 0 and o.id == guild_id:
            perms = (perms & ~o.deny) | o.allow
    for o in listed:
        if o.kind == 0 and o.id in roles:
            allow, deny = allow | o.allow, deny | o.deny
    perms = (perms & ~deny) | allow
    for o in listed:
        if o.kind == 1 and o.id == member_id:
            perms = (perms & ~o.deny) | o.allow
    return base, perms if perms & VIEW_CHANNEL else 0


@dataclass(frozen=True)
class SetupFacts:
    """What /presave-setup checks, however it was learnt."""

    guild_id: str
    channel_name: str
    channel_type: int
    channel_permissions: int  # the bot's, in that channel
    guild_permissions: int  # the bot's, server-wide
    bot_top_position: int  # the position of the bot's highest role
    role_id: str
    role_name: str
    role_position: int
    role_managed: bool
    role_mentionable: bool


@dataclass(frozen=True)
class SetupCheck:
    """Problems that stop the setup, and warnings that do not."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def check_setup(facts: SetupFacts) -> SetupCheck:
    """Say exactly what is missing for the bot to post in the channel and give the role."""
    channel, role, perms = f"#{facts.channel_name}", f"@{facts.role_name}", facts
    problems: list[str] = []
    warnings: list[str] = []
    if facts.channel_type not in TEXT_CHANNELS:
        problems.append(f"{channel} is not a text or announcement channel")
    elif not perms.channel_permissions & VIEW_CHANNEL:
        problems.append(f"the bot needs the View Channel permission in {channel}")
    elif not perms.channel_permissions & SEND_MESSAGES:
        problems.append(f"the bot needs the Send Messages permission in {channel}")
    elif not perms.channel_permissions & READ_MESSAGE_HISTORY:
        # Without it Discord lists no messages, and a post whose answer was lost could not be
        # found before posting again.
        problems.append(f"the bot needs the Read Message History permission in {channel}")
    if facts.role_id == facts.guild_id:
        problems.append("@everyone cannot be the pre-saver role: pick or create a role")
    elif facts.role_managed:
        problems.append(f"{role} is managed by an integration and cannot be given to members")
    else:
        if not perms.guild_permissions & MANAGE_ROLES:
            problems.append("the bot needs the Manage Roles permission")
        if facts.role_position >= facts.bot_top_position:
            problems.append(
                f"the bot's highest role must be above {role}: drag it higher in "
                "Server Settings > Roles"
            )
    if not problems:
        if not (facts.role_mentionable or perms.channel_permissions & MENTION_EVERYONE):
            warnings.append(
                f"{role} is not mentionable and the bot lacks 'Mention @everyone, @here, and All "
                f"Roles' in {channel}: the drop-day post will name the role without pinging it"
            )
        if not perms.channel_permissions & EMBED_LINKS:
            warnings.append(f"without Embed Links in {channel}, the Spotify link shows no preview")
    return SetupCheck(tuple(problems), tuple(warnings))
