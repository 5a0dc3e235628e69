"""Which network a web form request counts against, and that the limits fail closed."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.services.form_limits import Verdict, network_of, take


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # same home, same count
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),  # the next block counts apart
        ("::ffff:198.51.100.7", "198.51.100.7"),  # IPv4 mapped into IPv6
        ("not an address", "not an address"),
        ("", "unknown"),
    ],
)
def test_network_of(address: str, network: str) -> None:
    assert network_of(address) == network


def test_limits_that_cannot_be_read_refuse() -> None:
    """Redis unreachable: the form is refused (fail closed), never waved through."""
    no_retry = Retry(NoBackoff(), 0)  # the answer is the same after retries, only later
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=no_retry)
    assert take(down, "secret", "203.0.113.9", "+14155550134") is Verdict.UNAVAILABLE
    assert take(down, "secret", "203.0.113.9", None) is Verdict.UNAVAILABLE
