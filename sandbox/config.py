"""The sandbox's knobs: one frozen dataclass, replaced whole when changed at runtime."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a public, fake credential
SANDBOX_ACCOUNT_SID = "AC" + "5a" * 16
SANDBOX_AUTH_TOKEN = "5a" * 16
SANDBOX_TWILIO_NUMBER = "+15005550006"  # Twilio's own test sender number
SANDBOX_APP_NAME = "Sandbox app"  # the app the consent page names (--app-name)
SIX_MONTHS_S = 183 * 24 * 3600
# The Discord stand-in's one bot (public, fake values).
SANDBOX_DISCORD_BOT_TOKEN = "sandbox-discord-bot-token"  # noqa: S105 - a public, fake credential
SANDBOX_DISCORD_APPLICATION_ID = "1200000000000000001"
SANDBOX_DISCORD_BOT_USER_ID = "1200000000000000001"
NULLABLE = frozenset({"spotify_rps", "twilio_mps", "discord_global_rps"})
SNOWFLAKE_KNOBS = frozenset({"discord_application_id", "discord_bot_user_id"})


class ConfigError(ValueError):
    """A knob name or value the sandbox does not accept."""


@dataclass(frozen=True)
class SandboxConfig:
    """Every realism and fault knob; see sandbox/README.md for what each one does."""

    spotify_latency_ms: float = 0.0
    accounts_latency_ms: float = 0.0
    twilio_latency_ms: float = 0.0
    spotify_rps: float | None = None
    rate_window_s: float = 1.0
    retry_after_s: int = 1
    dev_mode: bool = False
    enforce_scopes: bool = True
    library_accepts_artists: bool = True
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = SIX_MONTHS_S
    code_ttl_s: int = 600
    refresh_returns_refresh_token: bool = False
    accept_any_client: bool = True
    twilio_mps: float | None = None
    accept_any_account: bool = True
    twilio_opted_out: tuple[str, ...] = ()
    twilio_undeliverable: tuple[str, ...] = ()
    status_callbacks: bool = True
    twilio_number: str = SANDBOX_TWILIO_NUMBER
    twilio_sms_url: str = ""
    callback_delay_ms: float = 50.0
    timeout_s: float = 30.0
    discord_latency_ms: float = 0.0
    discord_global_rps: float | None = 50.0
    discord_channel_messages_per_5s: int = 5
    discord_nonce_window_s: float = 300.0
    discord_invalid_limit: int = 10_000
    discord_ban_s: float = 3600.0
    discord_dms_closed: tuple[str, ...] = ()
    accept_any_bot: bool = True
    discord_bot_token: str = SANDBOX_DISCORD_BOT_TOKEN
    discord_application_id: str = SANDBOX_DISCORD_APPLICATION_ID
    discord_bot_user_id: str = SANDBOX_DISCORD_BOT_USER_ID
    discord_interactions_url: str = ""
    app_name: str = SANDBOX_APP_NAME

    def changed(self, changes: dict[str, Any]) -> SandboxConfig:
        """A copy with `changes` applied after checking names and types."""
        known = {f.name for f in fields(self)}
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"unknown knob {name!r}")
            clean[name] = _coerce(name, getattr(self, name), value)
        return replace(self, **clean)

    def as_dict(self) -> dict[str, Any]:
        """The knobs as JSON-ready values."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _coerce(name: str, current: object, value: object) -> object:
    """`value` converted to the knob's type, or ConfigError."""
    nullable = name in NULLABLE
    if value is None and nullable:
        return None
    if isinstance(current, bool) and isinstance(value, bool):
        return value
    if isinstance(current, str) and isinstance(value, str) and value:
        snowflake = value.isascii() and value.isdigit() and 17 <= len(value) <= 20
        if name in SNOWFLAKE_KNOBS and not snowflake:
            raise ConfigError(f"{name} must be a Discord id (17 to 20 digits)")
        return value
    strings = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if isinstance(current, tuple) and strings:
        return tuple(value)  # type: ignore[arg-type]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and value >= 0:  # type: ignore[operator]
        if isinstance(current, bool):
            raise ConfigError(f"{name} must be true or false")
        if isinstance(current, int) and not nullable:
            return int(value)  # type: ignore[call-overload]
        return float(value)  # type: ignore[arg-type]
    raise ConfigError(f"bad value for {name}: {value!r}")
