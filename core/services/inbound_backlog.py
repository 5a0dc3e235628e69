"""Inbound texts kept in Redis while the database cannot be written, until it can.

Twilio does not retry an inbound webhook, so a text the database cannot take now would be
lost. The webhook keeps the verified message here (once per MessageSid) and answers at
once; a periodic job answers the kept texts, oldest first, once the database is back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis

KEY = "presave:inbound:kept"
# How long the webhook waits for the database before keeping a text here: well inside
# Twilio's 15 seconds (SQLite's writer slot and its lock are each waited for this long).
DB_WAIT_SECONDS = 3.0
# How long it waits for Redis before answering 503.
REDIS_WAIT_SECONDS = 1.0
BATCH = 500


class NotKept(RuntimeError):
    """Redis could not take the text either."""


@dataclass(frozen=True)
class Kept:
    """A kept text: its MessageSid, the checked fields, and when it came in (epoch s)."""

    sid: str
    fields: dict[str, str]
    received_at: float


def keep(connection: redis.Redis, sid: str, fields: Mapping[str, str]) -> bool:
    """Keep a verified text for later; False when this MessageSid is kept already.

    Raises NotKept when Redis cannot be reached.
    """
    record = json.dumps({"fields": dict(fields), "at": time.time()})
    try:
        return bool(connection.hsetnx(KEY, sid, record))
    except (redis.RedisError, OSError) as exc:
        raise NotKept(type(exc).__name__) from exc


def kept(connection: redis.Redis, limit: int = BATCH) -> list[Kept]:
    """The kept texts, oldest first (a STOP after a keyword is answered after it)."""
    entries = []
    for sid, record in connection.hgetall(KEY).items():
        data = json.loads(record)
        name = sid.decode() if isinstance(sid, bytes) else str(sid)
        entries.append(Kept(name, data["fields"], float(data["at"])))
    entries.sort(key=lambda entry: (entry.received_at, entry.sid))
    return entries[:limit]


def forget(connection: redis.Redis, sid: str) -> None:
    """Drop a text once the database has it."""
    connection.hdel(KEY, sid)


def count(connection: redis.Redis) -> int:
    """How many texts wait for the database."""
    return int(connection.hlen(KEY))
