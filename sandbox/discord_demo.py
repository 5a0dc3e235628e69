"""The demo Discord server every sandbox starts with: "Night Bloom Fans".

Its ids are fixed so the demo campaign (artist Mira Vale, "Night Bloom") can be bound to it
and the console can show it: an announcement channel, a Pre-saver role the bot may give,
and four members, one of them a moderator with Manage Server (for /presave-setup).
"""

from __future__ import annotations

from sandbox.discord_objects import Channel, Guild, Member, Role
from sandbox.discord_perms import (
    EMBED_LINKS,
    MANAGE_GUILD,
    MANAGE_ROLES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)
from sandbox.state import SandboxState

DEMO_GUILD_ID = "1300000000000000001"
DEMO_GUILD_NAME = "Night Bloom Fans"
DEMO_OWNER_ID = "1300000000000000100"
DEMO_ANNOUNCEMENTS_ID = "1300000000000000011"
DEMO_GENERAL_ID = "1300000000000000012"
DEMO_PRESAVER_ROLE_ID = "1300000000000000021"
DEMO_MODERATOR_ROLE_ID = "1300000000000000022"
DEMO_BOT_ROLE_ID = "1300000000000000023"
DEMO_MODERATOR_ID = "1300000000000000101"
# (user id, username, role ids): the moderator first.
DEMO_MEMBERS = (
    (DEMO_MODERATOR_ID, "nightowl_mod", (DEMO_MODERATOR_ROLE_ID,)),
    ("1300000000000000102", "luna_petal", ()),
    ("1300000000000000103", "fern_echo", ()),
    ("1300000000000000104", "sol_moth", ()),
)
POSTING = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY


def demo_guild(bot_id: str, joined_at: str) -> tuple[Guild, list[Channel], dict[str, str]]:
    """The server, its channels and its members' usernames."""
    roles = {
        DEMO_GUILD_ID: Role(DEMO_GUILD_ID, "@everyone", 0, POSTING),
        DEMO_PRESAVER_ROLE_ID: Role(DEMO_PRESAVER_ROLE_ID, "Pre-saver", 2, mentionable=True),
        DEMO_MODERATOR_ROLE_ID: Role(DEMO_MODERATOR_ROLE_ID, "Moderator", 4, MANAGE_GUILD),
        DEMO_BOT_ROLE_ID: Role(
            DEMO_BOT_ROLE_ID, "presave", 5, MANAGE_ROLES | MENTION_EVERYONE, managed=True
        ),
    }
    members = {user_id: Member(set(ids), joined_at) for user_id, _, ids in DEMO_MEMBERS}
    members[bot_id] = Member({DEMO_BOT_ROLE_ID}, joined_at)
    guild = Guild(DEMO_GUILD_ID, DEMO_GUILD_NAME, DEMO_OWNER_ID, roles, members)
    channels = [
        Channel(DEMO_ANNOUNCEMENTS_ID, 5, "announcements", DEMO_GUILD_ID, 0),
        Channel(DEMO_GENERAL_ID, 0, "general", DEMO_GUILD_ID, 1),
    ]
    names = {user_id: name for user_id, name, _ in DEMO_MEMBERS}
    return guild, channels, names | {DEMO_OWNER_ID: "mira_vale"}


def seed_demo(state: SandboxState) -> None:
    """Put the demo server in the Discord stand-in (again: it replaces an older one)."""
    joined = state.clock.now().isoformat(timespec="microseconds")
    guild, channels, names = demo_guild(state.config.discord_bot_user_id, joined)
    state.discord.put_guild(guild, channels, names)
