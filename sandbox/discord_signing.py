"""The sandbox's Discord application key pair: it signs interactions as Discord does.

A fixed, public demo key (never a secret): `presave up` gives our app its public half as
DISCORD_PUBLIC_KEY, so the interactions endpoint checks the stand-in's signatures exactly
as it checks Discord's (Ed25519 over X-Signature-Timestamp + body, hex encoded).
"""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# 32 bytes of seed, chosen for the sandbox and published here: anyone can sign with it.
SANDBOX_DISCORD_SIGNING_SEED = bytes.fromhex(
    "5a4e6967687420426c6f6f6d2073616e64626f78206b6579202d207075626c69"
)


@cache
def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SANDBOX_DISCORD_SIGNING_SEED)


def public_key_hex() -> str:
    """The public half, as DISCORD_PUBLIC_KEY takes it (64 hex characters)."""
    return _key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(timestamp: str, body: bytes) -> str:
    """X-Signature-Ed25519 for a body sent at `timestamp` (Unix seconds as text)."""
    return _key().sign(timestamp.encode() + body).hex()


def headers(timestamp: str, body: bytes) -> dict[str, str]:
    """The two headers Discord adds to an interaction request."""
    return {
        "X-Signature-Ed25519": sign(timestamp, body),
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
