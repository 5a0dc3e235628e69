"""Is the service's backing state reachable?"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import read_connection
from core.redis_conn import connect


@dataclass(frozen=True)
class Health:
    """The state of each dependency: 'ok' or 'down: <reason>'."""

    database: str
    redis: str

    @property
    def ok(self) -> bool:
        """Whether everything is up."""
        return self.database == "ok" and self.redis == "ok"

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            "status": "ok" if self.ok else "down",
            "database": self.database,
            "redis": self.redis,
        }


def _reason(exc: BaseException) -> str:
    """The kind of failure only: an exception's text can name hosts, ports and DSNs."""
    return f"down: {type(exc).__name__}"


def check(database_url: str, redis_url: str | None) -> Health:
    """Ping the database (a read: never SQLite's write lock) and Redis, with short timeouts."""
    try:
        with read_connection(database_url) as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = _reason(exc)
    if redis_url is None:
        redis_state = "down: no Redis configured"
    else:
        try:
            connect(redis_url, timeout=1.0).ping()
            redis_state = "ok"
        except (redis.RedisError, OSError) as exc:
            redis_state = _reason(exc)
    return Health(database=database, redis=redis_state)
