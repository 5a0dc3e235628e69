"""Process-wide handles built from Settings: the Redis client, the embedded server."""

from __future__ import annotations

import atexit
import threading

import redis

from core.redis_conn import EmbeddedRedis, connect, ensure_redis
from core.settings import Settings

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
