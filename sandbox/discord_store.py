"""The Discord stand-in's memory: users, servers, channels, messages, commands, and the
counters behind its route buckets and invalid-request ban."""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandbox.discord_objects import (
    EPOCH_MS,
    Channel,
    ChannelLog,
    Guild,
    Member,
    Message,
    iso_ms,
    snowflake_ms,
)

INVALID_WINDOW_S = 600.0
BUCKET_WINDOW_S = 5.0
BUCKET_SWEEP = 4096  # buckets kept before idle ones are dropped
LATE_ARRIVALS_S = 30.0  # a request handled this long after it arrived still counts


class DiscordStore:
    """Everything the Discord stand-in holds, behind one lock; ids follow `now`."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.lock = threading.Lock()
        self._now = now
        self._last_ms = self._seq = 0
        self.users: dict[str, str] = {}  # id -> username, for seeded users
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.dm_of_user: dict[str, str] = {}
        self.logs: dict[str, ChannelLog] = {}
        self.nonces: dict[tuple[str, str], Message] = {}
        self.buckets: dict[str, list[float]] = {}
        self.commands: list[dict[str, Any]] = []
        self.interactions: dict[str, list[dict[str, Any]]] = {}
        self.invalid: deque[float] = deque()
        self.banned_until = 0.0
        self.counts = {"global_429": 0, "route_429": 0, "banned_requests": 0}

    def now_ms(self) -> int:
        """The sandbox clock in Unix milliseconds."""
        return int(self._now().timestamp() * 1000)

    def _next_id(self) -> str:
        """A new snowflake (lock held): clock ms since 2015 << 22, then a 12-bit increment."""
        ms = max(self.now_ms(), self._last_ms)
        self._seq = self._seq + 1 if ms == self._last_ms else 0
        if self._seq > 0xFFF:
            ms, self._seq = ms + 1, 0
        self._last_ms = ms
        return str(((ms - EPOCH_MS) << 22) | self._seq)

    def snowflake(self) -> str:
        """A new id, ordered by creation time like Discord's."""
        with self.lock:
            return self._next_id()

    def username(self, user_id: str) -> str:
        """A user's name (seeded, or made up from the id: every well-formed id is a user)."""
        return self.users.get(user_id) or f"user{user_id[-6:]}"

    def bot_json(self, bot_id: str) -> dict[str, Any]:
        """The bot's user object."""
        name = self.users.get(bot_id, "presave-sandbox")
        return {"id": bot_id, "username": name, "discriminator": "0", "global_name": None,
                "bot": True}  # fmt: skip

    def user_json(self, user_id: str) -> dict[str, Any]:
        """Discord's partial user object."""
        name = self.username(user_id)
        return {"id": user_id, "username": name, "discriminator": "0", "global_name": None}

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        """Discord's channel object (a DM channel, or a server channel)."""
        if channel.recipient is not None:
            return {"id": channel.id, "type": 1, "last_message_id": channel.last_message_id,
                    "recipients": [self.user_json(channel.recipient)]}  # fmt: skip
        return {
            "id": channel.id, "type": channel.type, "guild_id": channel.guild_id,
            "name": channel.name, "position": channel.position, "nsfw": False,
            "parent_id": None, "last_message_id": channel.last_message_id,
            "permission_overwrites": [o.as_json() for o in channel.overwrites],
        }  # fmt: skip

    def dm_channel(self, user_id: str) -> Channel:
        """The DM channel with a user (the same one every time)."""
        with self.lock:
            found = self.dm_of_user.get(user_id)
            if found is None:
                found = self.dm_of_user[user_id] = self._next_id()
                self.channels[found] = Channel(id=found, type=1, recipient=user_id)
            return self.channels[found]

    def put_guild(self, guild: Guild, channels: list[Channel], users: dict[str, str]) -> None:
        """Add or replace a server with its channels (its old channels go)."""
        with self.lock:
            old = [c.id for c in self.channels.values() if c.guild_id == guild.id]
            for channel_id in old:
                del self.channels[channel_id]
            self.guilds[guild.id] = guild
            for channel in channels:
                self.channels[channel.id] = channel
            self.users.update(users)

    def add_members(
        self, guild: Guild, members: dict[str, set[str]], users: dict[str, str]
    ) -> None:
        """Make users members of a server with these roles (existing members get them too)."""
        joined = iso_ms(self.now_ms())
        with self.lock:
            for user_id, roles in members.items():
                found = guild.members.get(user_id)
                if found is None:
                    guild.members[user_id] = Member(set(roles), joined)
                elif not roles <= found.roles:
                    found.roles = found.roles | roles
            self.users.update(users)

    def post(
        self, channel: Channel, make: Callable[[str], Message], nonce: str | None, window_s: float
    ) -> tuple[Message, bool]:
        """Store a new message, or (an enforced `nonce` seen within `window_s`) return the
        one already made with it; True when created. Atomic: one message per nonce."""
        with self.lock:
            seen = self.nonces.get((channel.id, nonce)) if nonce is not None else None
            if seen is not None and self.now_ms() - snowflake_ms(seen.id) < window_s * 1000:
                return seen, False
            message = make(self._next_id())
            log = self.logs.setdefault(channel.id, ChannelLog())
            log.ids.append(int(message.id))
            log.messages.append(message)
            channel.last_message_id = message.id
            if message.nonce is not None:
                self.nonces[(channel.id, str(message.nonce))] = message
            return message, True

    def page(self, channel_id: str, limit: int, anchor: str, at: int | None) -> list[Message]:
        """Up to `limit` messages `around`/`before`/`after` (anchor) id `at`, or the latest;
        newest first, as Discord lists them."""
        with self.lock:
            log = self.logs.get(channel_id)
            if log is None:
                return []
            ids, messages = log.ids, log.messages
            if at is None:
                found = messages[-limit:]
            elif anchor == "before":
                end = bisect.bisect_left(ids, at)
                found = messages[max(0, end - limit) : end]
            elif anchor == "after":
                start = bisect.bisect_right(ids, at)
                found = messages[start : start + limit]
            else:
                start = max(0, bisect.bisect_left(ids, at) - limit // 2)
                found = messages[start : start + limit]
        return found[::-1]

    def messages(self, channel_id: str) -> list[Message]:
        """Every message of a channel, oldest first."""
        with self.lock:
            log = self.logs.get(channel_id)
            return list(log.messages) if log else []

    def take_bucket(self, key: str, limit: int, at: float) -> tuple[float, int, float]:
        """A route bucket of `limit` requests per 5 s, counted by arrival `at`: (wait, 0 when
        admitted and counted; remaining; seconds until the oldest counted one leaves)."""
        old = at - BUCKET_WINDOW_S - LATE_ARRIVALS_S
        with self.lock:
            if len(self.buckets) > BUCKET_SWEEP:
                self.buckets = {k: t for k, t in self.buckets.items() if t and t[-1] > old}
            times = self.buckets.setdefault(key, [])
            del times[: bisect.bisect_right(times, old)]
            first = bisect.bisect_right(times, at - BUCKET_WINDOW_S)
            last = bisect.bisect_right(times, at)
            if last - first >= limit:
                wait = max((times[first] if last > first else at) + BUCKET_WINDOW_S - at, 0.001)
                return wait, 0, wait
            times.insert(last, at)
            return 0.0, limit - (last - first) - 1, times[first] + BUCKET_WINDOW_S - at

    def interaction_message(
        self, token: str, edit: bool, build: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Store what an interaction's webhook was sent: an edit of the original answer
        (built from the last one, same id) or a follow-up (a new id); returns it."""
        with self.lock:
            history = self.interactions.setdefault(token, [])
            kept = next((m for m in reversed(history) if m["edit"]), None) if edit else None
            message = build(kept or {"id": self._next_id()}) | {"edit": edit}
            history.append(message)
            return message

    def overwrite_commands(
        self, application_id: str, commands: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Replace the global commands; a command keeps its id when its name and type stay."""
        with self.lock:
            known = {(c["type"], c["name"]): c["id"] for c in self.commands}
            version = self._next_id()
            self.commands = [
                command | {"id": known.get((command["type"], command["name"])) or self._next_id(),
                           "application_id": application_id, "version": version}
                for command in commands
            ]  # fmt: skip
            return list(self.commands)

    def bump(self, counter: str) -> None:
        """Count one more global_429, route_429 or banned_requests."""
        with self.lock:
            self.counts[counter] += 1

    def count_invalid(self, limit: int, ban_s: float) -> None:
        """One more 401/403/429; at `limit` within 10 minutes the bot is banned for `ban_s`."""
        now = time.monotonic()
        with self.lock:
            self.invalid.append(now)
            while self.invalid and self.invalid[0] <= now - INVALID_WINDOW_S:
                self.invalid.popleft()
            if len(self.invalid) >= max(1, limit):
                self.banned_until = now + ban_s
                self.invalid.clear()

    def banned(self) -> bool:
        """Whether the bot is banned right now."""
        return time.monotonic() < self.banned_until

    def counters(self) -> dict[str, Any]:
        """The invalid-request count over 10 minutes, the ban and the 429 counters."""
        now = time.monotonic()
        with self.lock:
            invalid = sum(1 for t in self.invalid if t > now - INVALID_WINDOW_S)
            counts = dict(self.counts)
        return {"invalid_requests": invalid, "banned": self.banned(), **counts}

    def stored(self) -> int:
        """How many channel messages are stored."""
        with self.lock:
            return sum(len(log.ids) for log in self.logs.values())
