"""The Discord stand-in's objects (snowflakes, roles, channels, servers, messages) and
their JSON as Discord's API shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EPOCH_MS = 1_420_070_400_000  # Discord's epoch, 2015-01-01T00:00:00Z


def is_snowflake(value: object) -> bool:
    """A Discord id: 17 to 20 decimal digits, as a string."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and 17 <= len(value) <= 20


def snowflake_ms(snowflake: str) -> int:
    """Unix milliseconds a snowflake was made at."""
    return (int(snowflake) >> 22) + EPOCH_MS


def iso_ms(unix_ms: int) -> str:
    """ISO 8601 instant of Unix milliseconds, as Discord writes timestamps."""
    return datetime.fromtimestamp(unix_ms / 1000, UTC).isoformat(timespec="microseconds")


def timestamp_of(snowflake: str) -> str:
    """When a snowflake was made, in ISO 8601."""
    return iso_ms(snowflake_ms(snowflake))


@dataclass(slots=True)
class Role:
    """A server role."""

    id: str
    name: str
    position: int = 0
    permissions: int = 0
    managed: bool = False
    mentionable: bool = False

    def as_json(self) -> dict[str, Any]:
        """Discord's role object."""
        return {
            "id": self.id, "name": self.name, "position": self.position,
            "permissions": str(self.permissions), "managed": self.managed,
            "mentionable": self.mentionable, "color": 0, "hoist": False,
        }  # fmt: skip


@dataclass(slots=True, frozen=True)
class Overwrite:
    """A channel permission overwrite (type 0 role, 1 member)."""

    id: str
    type: int
    allow: int = 0
    deny: int = 0

    def as_json(self) -> dict[str, Any]:
        """Discord's overwrite object (bit sets as strings)."""
        return {"id": self.id, "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(slots=True)
class Channel:
    """A server channel, or a DM channel (`recipient` set)."""

    id: str
    type: int
    name: str = ""
    guild_id: str | None = None
    position: int = 0
    overwrites: tuple[Overwrite, ...] = ()
    recipient: str | None = None
    last_message_id: str | None = None


@dataclass(slots=True)
class Member:
    """A user's membership of a server: role ids (never @everyone) and when they joined."""

    roles: set[str]
    joined_at: str


@dataclass
class Guild:
    """A server: its owner, roles and members (by user id)."""

    id: str
    name: str
    owner_id: str
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    def roles_json(self) -> list[dict[str, Any]]:
        """The server's role objects, lowest first."""
        ordered = sorted(self.roles.values(), key=lambda r: (r.position, int(r.id)))
        return [r.as_json() for r in ordered]


@dataclass(slots=True)
class Message:
    """A message as stored, with what Discord does not show on reads (the nonce)."""

    id: str
    channel_id: str
    guild_id: str | None
    content: str
    nonce: str | int | None = None
    components: list[Any] = field(default_factory=list)
    flags: int = 0
    pinged_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False

    def as_json(self, author: dict[str, Any], *, with_nonce: bool = False) -> dict[str, Any]:
        """Discord's message object (the nonce only in the create answer)."""
        out: dict[str, Any] = {
            "id": self.id, "channel_id": self.channel_id, "type": 0, "author": author,
            "content": self.content, "timestamp": timestamp_of(self.id),
            "edited_timestamp": None, "tts": False, "mention_everyone": self.mention_everyone,
            "mentions": [], "mention_roles": list(self.pinged_roles), "attachments": [],
            "embeds": [], "pinned": False, "flags": self.flags, "components": self.components,
        }  # fmt: skip
        if self.guild_id is not None:
            out["guild_id"] = self.guild_id
        if with_nonce and self.nonce is not None:
            out["nonce"] = self.nonce
        return out


@dataclass(slots=True)
class ChannelLog:
    """A channel's messages, oldest first, with their ids as integers for bisecting."""

    ids: list[int] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
