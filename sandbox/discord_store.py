"""The Discord stand-in's memory: servers, channels, messages, commands, and its limits."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

EPOCH_MS = 1_420_070_400_000  # Discord's epoch, 2015-01-01
VIEW_CHANNEL, SEND_MESSAGES, READ_HISTORY = 1 << 10, 1 << 11, 1 << 16
MENTION_EVERYONE, MANAGE_ROLES, ADMINISTRATOR = 1 << 17, 1 << 28, 1 << 3
ALL = (1 << 53) - 1
INVALID_WINDOW_S = 600.0


def is_snowflake(value: object) -> bool:
    """17 to 20 decimal digits."""
    return isinstance(value, str) and value.isdigit() and 17 <= len(value) <= 20


@dataclass
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


@dataclass
class Channel:
    """A server channel, or a DM channel (`recipient` set)."""

    id: str
    type: int
    name: str = ""
    guild_id: str | None = None
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Discord's channel object."""
        if self.recipient is not None:
            user = {"id": self.recipient, "username": f"user{self.recipient[-4:]}"}
            return {"id": self.id, "type": 1, "last_message_id": None, "recipients": [user]}
        return {
            "id": self.id, "type": self.type, "guild_id": self.guild_id, "name": self.name,
            "position": 0, "permission_overwrites": self.overwrites,
        }  # fmt: skip


@dataclass
class Guild:
    """A server: its owner, roles, members (user id -> role ids) and channel ids."""

    id: str
    name: str
    owner_id: str
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Message:
    """A message as stored, with what Discord does not show on reads."""

    id: str
    channel_id: str
    author_id: str
    content: str
    timestamp: str
    nonce: str | None = None
    pinged_roles: list[str] = field(default_factory=list)
    components: list[Any] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)

    def as_json(self, *, with_nonce: bool = False) -> dict[str, Any]:
        """Discord's message object (the nonce only in the create answer)."""
        out = {
            "id": self.id, "channel_id": self.channel_id, "type": 0, "content": self.content,
            "author": {"id": self.author_id, "username": "presave-sandbox", "bot": True},
            "timestamp": self.timestamp, "mentions": [], "mention_roles": self.pinged_roles,
            "components": self.components,
        }  # fmt: skip
        if with_nonce and self.nonce is not None:
            out["nonce"] = self.nonce
        return out


def channel_permissions(guild: Guild, channel: Channel | None, user_id: str) -> int:
    """A member's permissions, in a channel when given (Discord's documented order)."""
    if guild.owner_id == user_id:
        return ALL
    roles = guild.members.get(user_id, set()) - {guild.id}
    everyone = guild.roles.get(guild.id)
    base = everyone.permissions if everyone else 0
    for role_id in roles:
        if role_id in guild.roles:
            base |= guild.roles[role_id].permissions
    if base & ADMINISTRATOR:
        return ALL
    if channel is None:
        return base
    perms = base
    by_target = {(int(o.get("type", 0)), str(o.get("id"))): o for o in channel.overwrites}
    found = by_target.get((0, guild.id))
    if found:
        perms = (perms & ~int(found.get("deny", 0))) | int(found.get("allow", 0))
    allow = deny = 0
    for role_id in roles:
        found = by_target.get((0, role_id))
        if found:
            allow, deny = allow | int(found.get("allow", 0)), deny | int(found.get("deny", 0))
    perms = (perms & ~deny) | allow
    found = by_target.get((1, user_id))
    if found:
        perms = (perms & ~int(found.get("deny", 0))) | int(found.get("allow", 0))
    return perms if perms & VIEW_CHANNEL else 0


class DiscordStore:
    """Everything the Discord stand-in holds, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._last_ms = 0
        self._seq = 0
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.dm_of_user: dict[str, str] = {}
        self.messages: dict[str, list[Message]] = {}  # by channel, oldest first
        self.nonces: dict[tuple[str, str], Message] = {}
        self.sent_per_channel: dict[str, deque[float]] = {}
        self.commands: list[dict[str, Any]] = []
        self.interaction_messages: dict[str, list[dict[str, Any]]] = {}
        self.invalid: deque[float] = deque()
        self.banned_until = 0.0
        self.counts = {"global_429": 0, "route_429": 0, "banned_requests": 0}

    def snowflake(self) -> str:
        """A new id, ordered by creation time like Discord's."""
        with self.lock:
            ms = max(int(time.time() * 1000), self._last_ms)
            self._seq = self._seq + 1 if ms == self._last_ms else 0
            self._last_ms = ms
            return str(((ms - EPOCH_MS) << 22) | (self._seq & 0x3FFFFF))

    def dm_channel(self, user_id: str) -> Channel:
        """The DM channel with a user (the same one every time)."""
        found = self.dm_of_user.get(user_id)
        if found is not None:
            return self.channels[found]
        channel = Channel(id=self.snowflake(), type=1, recipient=user_id)
        with self.lock:
            existing = self.dm_of_user.setdefault(user_id, channel.id)
            self.channels.setdefault(existing, channel)
            return self.channels[existing]

    def add(self, message: Message) -> None:
        """Store a message in its channel."""
        with self.lock:
            self.messages.setdefault(message.channel_id, []).append(message)
            if message.nonce is not None:
                self.nonces[(message.channel_id, message.nonce)] = message

    def route_wait(self, channel_id: str, per_5s: int) -> float:
        """0.0 when the channel's bucket admits one more message (counted), else the wait."""
        now = time.monotonic()
        with self.lock:
            sent = self.sent_per_channel.setdefault(channel_id, deque())
            while sent and sent[0] <= now - 5.0:
                sent.popleft()
            if len(sent) >= per_5s:
                return sent[0] + 5.0 - now
            sent.append(now)
            return 0.0

    def count_invalid(self, limit: int, ban_s: float) -> None:
        """One more 401/403/429; at `limit` within 10 minutes the bot is banned."""
        now = time.monotonic()
        with self.lock:
            self.invalid.append(now)
            while self.invalid and self.invalid[0] <= now - INVALID_WINDOW_S:
                self.invalid.popleft()
            if len(self.invalid) >= limit:
                self.banned_until = now + ban_s

    def invalid_count(self) -> int:
        """Invalid requests over the last 10 minutes."""
        now = time.monotonic()
        with self.lock:
            return sum(1 for t in self.invalid if t > now - INVALID_WINDOW_S)
