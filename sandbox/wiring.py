"""The environment that points a presave process at a running sandbox, per provider."""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.config import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_DISCORD_APPLICATION_ID,
    SANDBOX_DISCORD_BOT_TOKEN,
    SANDBOX_TWILIO_NUMBER,
)
from sandbox.discord_signing import public_key_hex


def provider_env(base: str, providers: Iterable[str]) -> dict[str, str]:
    """Variables sending `providers` (spotify, twilio, discord) to the sandbox at `base`,
    with the sandbox's own public, fake credentials."""
    chosen = set(providers)
    env: dict[str, str] = {}
    if "spotify" in chosen:
        env |= {
            "SPOTIFY_API_BASE": f"{base}/v1",
            "SPOTIFY_ACCOUNTS_BASE": f"{base}/accounts",
            "SPOTIFY_CLIENT_ID": SANDBOX_CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        }
    if "twilio" in chosen:
        env |= {
            "TWILIO_API_BASE": f"{base}/twilio",
            "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SANDBOX_TWILIO_NUMBER,
            "TWILIO_MESSAGING_SERVICE_SID": "",
        }
    if "discord" in chosen:
        # The sandbox signs the slash commands it posts with its demo key (discord_signing).
        env |= {
            "DISCORD_API_BASE": f"{base}/discord/api/v10",
            "DISCORD_BOT_TOKEN": SANDBOX_DISCORD_BOT_TOKEN,
            "DISCORD_APPLICATION_ID": SANDBOX_DISCORD_APPLICATION_ID,
            "DISCORD_PUBLIC_KEY": public_key_hex(),
        }
    return env
