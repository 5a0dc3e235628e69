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


SMTP_SCHEMES = {"smtp": 587, "smtp+ssl": 465}


def smtp_url(env: Mapping[str, str], name: str) -> str | None:
    """An SMTP server: smtp://[user:password@]host[:port] (STARTTLS, port 587 by default;
    plain only on a loopback host) or smtp+ssl://... (TLS from the start, port 465)."""
    raw = text(env, name)
    if raw is None:
        return None
    expected = "smtp://user:password@host:587 or smtp+ssl://user:password@host:465"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise SettingsError(f"{name}: the port is not a number from 1 to 65535") from None
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        raise SettingsError(f"{name}: expected {expected}")
    if port == 0 or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(f"{name}: expected {expected}, with nothing after the port")
    if (parts.username is None) != (parts.password is None):
        raise SettingsError(f"{name}: give both the user and the password, or neither")
    return raw


def mail_address(env: Mapping[str, str], name: str) -> str | None:
    """An address mail is sent from: name@example.com or `Name <name@example.com>`."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    raw = text(env, name)
    if raw is None:
        return None
    display, address = parseaddr(raw)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c in raw for c in "\r\n"):
        raise SettingsError(
            f"{name}: expected an address such as presave@example.com or "
            f"'Presave <presave@example.com>', got {raw!r}"
        )
    return str(Address(display, local, domain)) if display else address


QUOTA_MODES = ("development", "extended")
DEVELOPMENT_MODE_USERS = 5


def quota_mode(env: Mapping[str, str], name: str) -> str:
    """development (the default: at most 5 allow-listed users) or extended."""
    raw = text(env, name)
    if raw is None:
        return QUOTA_MODES[0]
    if raw.lower() not in QUOTA_MODES:
        raise SettingsError(f"{name}: expected development or extended, got {raw!r}")
    return raw.lower()


def allowed_users(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated fans on the Spotify app's allow-list: E.164 phone numbers (+14155550101)
    or Discord user ids (17 to 20 digits), at most 5."""
    raw = text(env, name) or ""
    entries = tuple(dict.fromkeys(e.strip() for e in raw.split(",") if e.strip()))
    for entry in entries:
        phone = entry.startswith("+") and entry[1:].isdigit() and 8 <= len(entry) <= 16
        discord = entry.isdigit() and 17 <= len(entry) <= 20
        if not (phone or discord):
            raise SettingsError(
                f"{name}: expected E.164 phone numbers or Discord user ids, got {entry!r}"
            )
    if len(entries) > DEVELOPMENT_MODE_USERS:
        raise SettingsError(
            f"{name}: Spotify's development mode allows at most {DEVELOPMENT_MODE_USERS} "
            f"users, got {len(entries)}"
        )
    return entries
