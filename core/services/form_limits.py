"""How many phone numbers one network may ask us to text from the web form, per hour.

The form sends an SMS to whatever number is typed in, which makes it a tool for SMS
pumping (texting premium numbers at the artist's cost) and for harassment. The per-number
cap (web_optin) stops repeats to one number; this one stops one network from walking
through many numbers. Counts live in Redis under a keyed hash of the address (no IP
address is stored), one window an hour; IPv6 addresses count per /64, the block one home
or one host gets. If Redis cannot be reached the form stays open, and the failure is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

import redis

log = logging.getLogger(__name__)
MAX_PER_NETWORK_PER_HOUR = 10
WINDOW_SECONDS = 3600
IPV6_PREFIX = 64


def network_of(address: str) -> str:
    """The network a request counts against: the IPv4 address, or the IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is that IPv4 address
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def _key(secret: str, network: str) -> str:
    digest = hmac.new(secret.encode(), network.encode(), hashlib.sha256).hexdigest()[:32]
    return f"presave:text-me:{digest}"


def allow(connection: redis.Redis, secret: str, address: str) -> bool:
    """Count one request from `address`; False once its network passed the hourly cap."""
    key = _key(secret, network_of(address))
    try:
        pipe = connection.pipeline()
        pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)  # the window starts at the first request
        pipe.incr(key)
        _, count = pipe.execute()
    except (redis.RedisError, OSError) as exc:
        log.warning("text-me limit not checked (Redis unreachable): %s", exc)
        return True
    return int(count) <= MAX_PER_NETWORK_PER_HOUR
