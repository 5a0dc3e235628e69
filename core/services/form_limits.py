"""How often the web form may ask us to text: per network and per number, each an hour.

The form sends an SMS to whatever number is typed in, which makes it a tool for SMS
pumping (texting premium numbers at the artist's cost) and for harassment. The per-number
cap stops repeats to one number; the per-network cap stops one network from walking
through many numbers. Counts live in Redis under keyed hashes of the address and the
number (neither is stored), one window an hour; IPv6 addresses count per /64, the block
one home or one host gets. If Redis cannot be reached the form refuses (fails closed):
a limit that is not checked is no limit.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from enum import StrEnum

import redis

log = logging.getLogger(__name__)
MAX_PER_NETWORK_PER_HOUR = 10
MAX_PER_NUMBER_PER_HOUR = 3
WINDOW_SECONDS = 3600
IPV6_PREFIX = 64


class Verdict(StrEnum):
    """What the limits say of one request."""

    ALLOWED = "allowed"
    NETWORK = "network"  # this network asked for too many numbers lately
    NUMBER = "number"  # this number was asked for too often lately
    UNAVAILABLE = "unavailable"  # the counts could not be read: refused


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


def _key(secret: str, kind: str, value: str) -> str:
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"presave:text-me:{kind}{digest}"


def take(connection: redis.Redis, secret: str, address: str, phone: str | None) -> Verdict:
    """Count one request from `address` (for `phone`, when it is a number we would text)."""
    keys = [_key(secret, "", network_of(address))]
    if phone is not None:
        keys.append(_key(secret, "number:", phone))
    try:
        pipe = connection.pipeline()
        for key in keys:
            pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)  # the window starts at the first
            pipe.incr(key)
        counts = [int(count) for count in pipe.execute()[1::2]]
    except (redis.RedisError, OSError) as exc:
        log.warning("text-me refused: its limits cannot be checked (Redis unreachable): %s", exc)
        return Verdict.UNAVAILABLE
    if counts[0] > MAX_PER_NETWORK_PER_HOUR:
        return Verdict.NETWORK
    if len(counts) > 1 and counts[1] > MAX_PER_NUMBER_PER_HOUR:
        return Verdict.NUMBER
    return Verdict.ALLOWED
