"""Reading one setting from the environment: its typed value, or a SettingsError whose
line names the variable and what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


def text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name}: expected true or false, got {raw!r}")


def count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = text(env, name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > most:
        raise SettingsError(f"{name}: expected a whole number from 0 to {most}, got {raw!r}")
    return int(raw)


def positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a positive number, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name}: expected a positive number, got {raw!r}")
    return value


def url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = text(env, name) or default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name}: expected an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def fernet_keys(raw: str, name: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise SettingsError(f"{name}: expected one or more comma-separated Fernet keys")
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise SettingsError(
                f"{name}: key {index} is not a Fernet key (32 url-safe base64 bytes)"
            ) from None
    return keys


def hex_key(env: Mapping[str, str], name: str) -> str | None:
    """An Ed25519 public key as Discord shows it: 64 hexadecimal characters."""
    raw = text(env, name)
    if raw is None:
        return None
    try:
        if len(bytes.fromhex(raw)) == 32:
            return raw.lower()
    except ValueError:
        pass
    raise SettingsError(
        f"{name}: expected 64 hexadecimal characters (the application's public key)"
    )


def snowflake(env: Mapping[str, str], name: str) -> str | None:
    """A Discord id: 17 to 20 decimal digits."""
    raw = text(env, name)
    if raw is not None and not (raw.isdigit() and 17 <= len(raw) <= 20):
        raise SettingsError(f"{name}: expected a Discord id (17 to 20 digits), got {raw!r}")
    return raw
