"""Which network a web form request counts against."""

from __future__ import annotations

import pytest

from core.services.form_limits import network_of


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
