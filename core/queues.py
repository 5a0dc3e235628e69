"""Every RQ queue name and job timeout in one place.

In `core` because the web app and the bot queue jobs too (the phone opt-in's confirmation
text, a pre-saver role) and imports point inward. The jobs themselves are named by import
(workers.entry).
"""

from __future__ import annotations

import redis
from rq import Queue

DEFAULT = "default"
SAVES = "saves"
MESSAGES = "messages"
PERIODIC = "periodic"
DISCORD = "discord"
# Order is priority: a worker takes periodic ticks before bulk fan-out work. Discord DMs
# come after saves: at the bot's 50 requests/s a drop's DMs take minutes, and ahead of the
# saves they would hold every worker (the drop-day post, one per server, is a message job).
ALL = (PERIODIC, MESSAGES, SAVES, DISCORD, DEFAULT)
TIMEOUTS = {DEFAULT: 300, SAVES: 900, MESSAGES: 600, PERIODIC: 120, DISCORD: 600}


def queue(name: str, connection: redis.Redis) -> Queue:
    """The RQ queue `name` on `connection`, with its default timeout."""
    if name not in TIMEOUTS:
        raise ValueError(f"unknown queue {name!r}; known: {', '.join(ALL)}")
    return Queue(name, connection=connection, default_timeout=TIMEOUTS[name])
