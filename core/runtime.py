"""Process-wide handles built from Settings: the Redis client, the embedded server."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable

import redis

from core.redis_conn import EmbeddedRedis, connect, ensure_redis
from core.settings import Settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_embedded: EmbeddedRedis | None = None
_urls: dict[str, str] = {}


def redis_url(settings: Settings) -> str:
    """REDIS_URL, or the URL of the embedded server this process started or reuses."""
    global _embedded
    if settings.redis_url:
        return settings.redis_url
    key = str(settings.instance_path)
    with _lock:
        if key not in _urls:
            url, embedded = ensure_redis(None, settings.instance_path)
            if embedded is not None and embedded.owned:
                _embedded = embedded
                atexit.register(embedded.stop)
            _urls[key] = url
        return _urls[key]


def redis_client(settings: Settings) -> redis.Redis:
    """A Redis client for this process's configured server."""
    return connect(redis_url(settings))


def enqueue_quietly(
    settings: Settings, queue_name: str, func: Callable[..., object], *args: object
) -> bool:
    """Queue `func(*args)` now; False (logged) when Redis cannot be reached. For jobs whose
    work is already recorded in the database, which reconcile queues again within a minute."""
    from core import queues

    try:
        queues.queue(queue_name, redis_client(settings)).enqueue(func, *args)
    except (redis.RedisError, OSError) as exc:
        log.error("%s left to reconcile: %s", func.__name__, exc)
        return False
    return True
