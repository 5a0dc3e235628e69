"""Discord interactions received over HTTP: the signature, and the JSON in and out.

The commands are the gateway bot's (`bot.discord_commands`). An answer is due within
3 seconds: a command not done in DEFER_AFTER (/presave-setup asks Discord about the server
first, a busy database can be slow) is answered "thinking" (deferred), and its reply is
filled in through the interaction's webhook when it is done.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot import discord_commands as commands
from bot import discord_facts
from bot.discord_commands import Caller, Reply
from core.discord_permissions import ADMINISTRATOR, MANAGE_GUILD, SetupFacts
from core.providers import ProviderError, discord_rest
from core.settings import Settings

log = logging.getLogger(__name__)
PING, COMMAND, AUTOCOMPLETE = 1, 2, 4
PONG, MESSAGE, DEFERRED, CHOICES = 1, 4, 5, 8
EPHEMERAL = 1 << 6
DEFER_AFTER = 2.0  # seconds: Discord waits 3 for the first answer
# What Discord sends, bounded: ids are snowflakes (17-20 digits today); a token is a few
# hundred printable characters; command names 1-32 characters; a custom id at most 100; a
# string option (a campaign slug, what a fan types in autocomplete) at most MAX_OPTION here.
SNOWFLAKE = re.compile(r"[0-9]{17,20}")
TOKEN = re.compile(r"[\x21-\x7e]{1,1000}")
MAX_NAME, MAX_CUSTOM_ID, MAX_OPTION, MAX_DEPTH = 32, 100, 200, 32
SNOWFLAKE_OPTIONS = (6, 7, 8, 9)  # user, channel, role, mentionable
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def verify(public_key_hex: str, signature_hex: str, timestamp: str, body: bytes) -> bool:
    """Whether Discord signed `timestamp + body` (Ed25519, hex signature)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), timestamp.encode() + body)
    except (InvalidSignature, ValueError):
        return False
    return True


def signed_at(timestamp: str) -> datetime | None:
    """The X-Signature-Timestamp (Unix seconds) as an aware time; None when malformed."""
    if not TIMESTAMP.fullmatch(timestamp):
        return None
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (OverflowError, OSError, ValueError):  # past the year 9999
        return None


def _nul_or_deep(value: object, depth: int = 0) -> str | None:
    """Where the JSON holds a NUL character or nests deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        return "a NUL character in a string" if "\x00" in value else None
    if isinstance(value, dict):
        items: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = list(value)
    else:
        return None
    for item in items:
        found = _nul_or_deep(item, depth + 1)
        if found:
            return found
    return None


def _snowflake(field: str, value: object, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not SNOWFLAKE.fullmatch(value):
        return f"{field}: a Discord id of 17-20 digits"
    return None


def _text(field: str, value: object, most: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float | bool) or len(str(value)) > most:
        return f"{field}: at most {most} characters"
    return None


def _data_problem(data: Mapping[str, Any]) -> str | None:
    """The command's name, custom id and options, bounded."""
    found = _text("data.name", data.get("name"), MAX_NAME) or _text(
        "data.custom_id", data.get("custom_id"), MAX_CUSTOM_ID
    )
    options = data.get("options", [])
    if found or not isinstance(options, list):
        return found or "data.options: a list"
    for option in options:
        if not isinstance(option, dict):
            return "data.options: a list of objects"
        value = option.get("value")
        found = _text("option name", option.get("name"), MAX_NAME) or (
            _snowflake("option value", value, True)
            if option.get("type") in SNOWFLAKE_OPTIONS
            else _text("option value", value, MAX_OPTION)
        )
        if found:
            return found
    return None


def problem(payload: object) -> str | None:
    """Why a signed body is not an interaction we can take (None: it is one).

    Checked before anything is stored, so SQLite and PostgreSQL answer alike: PostgreSQL
    refuses a NUL in text and an id longer than its column, SQLite stores both.
    """
    if not isinstance(payload, dict):
        return "not an interaction (not a JSON object)"
    found = _nul_or_deep(payload) or _snowflake("id", payload.get("id"), required=True)
    member = payload.get("member")
    user = member.get("user") if isinstance(member, dict) else payload.get("user")
    data = payload.get("data")
    token = payload.get("token")
    return (
        found
        or _snowflake("application_id", payload.get("application_id"))
        or _snowflake("guild_id", payload.get("guild_id"))
        or _snowflake("channel_id", payload.get("channel_id"))
        or (_snowflake("user.id", user.get("id"), True) if isinstance(user, dict) else None)
        or ("token: 1-1000 printable characters" if token is not None and not (
            isinstance(token, str) and TOKEN.fullmatch(token)) else None)
        or (_data_problem(data) if isinstance(data, dict) else None)
    )  # fmt: skip


def message(reply: Reply) -> dict[str, Any]:
    """An ephemeral message with the reply's link button."""
    data: dict[str, Any] = {"content": reply.text, "flags": EPHEMERAL}
    if reply.link:
        button = {"type": 2, "style": 5, "label": reply.link_label, "url": reply.link}
        data["components"] = [{"type": 1, "components": [button]}]
    else:
        data["components"] = []
    return data


def caller_of(payload: Mapping[str, Any]) -> Caller:
    """Who ran it: a member in a server (with their permissions) or a user in a DM."""
    member = payload.get("member")
    if isinstance(member, dict):
        user = member.get("user") or {}
        try:
            permissions = int(member.get("permissions") or 0)
        except (TypeError, ValueError):
            permissions = 0
        manage = bool(permissions & (MANAGE_GUILD | ADMINISTRATOR))
        guild = payload.get("guild_id")
        server = payload.get("guild")  # a partial server: its name only if Discord sent it
        return Caller(
            str(user.get("id", "")),
            str(guild) if guild else None,
            manage,
            _name(user.get("username")),
            _name(server.get("name")) if isinstance(server, dict) else None,
        )
    user = payload.get("user") or {}
    return Caller(str(user.get("id", "")), None)


def _name(value: Any) -> str | None:
    """A name Discord sent, if it is a string (the services clean and clip it)."""
    return value if isinstance(value, str) else None


def _options(data: Mapping[str, Any]) -> dict[str, Any]:
    found = data.get("options")
    options = found if isinstance(found, list) else []
    return {str(o.get("name")): o.get("value") for o in options if isinstance(o, dict)}


def _focused(data: Mapping[str, Any]) -> str:
    found = data.get("options")
    for option in found if isinstance(found, list) else []:
        if isinstance(option, dict) and option.get("focused"):
            return str(option.get("value") or "")
    return ""


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that run commands past the response (keyed by pid: gunicorn forks)."""
    with _pools_lock:
        found = _pools.get(os.getpid())
        if found is None:
            found = _pools[os.getpid()] = ThreadPoolExecutor(8, thread_name_prefix="interaction")
        return found


def _fill_in(settings: Settings, payload: Mapping[str, Any], done: Future[Reply]) -> None:
    """When a deferred command is done, put its reply in place of the "thinking" one."""
    application_id = str(payload.get("application_id") or settings.discord_application_id)
    try:
        api = discord_rest.webhook_client(settings)
        discord_rest.edit_original(
            api, application_id, str(payload.get("token")), message(done.result())
        )
    except ProviderError as exc:
        log.warning("discord: could not fill in a deferred answer: %s", exc)


def _within_deadline(
    settings: Settings, payload: Mapping[str, Any], work: Callable[[], Reply], wait: float
) -> dict[str, Any]:
    """The reply now if the work ends within `wait`, else a deferred answer filled in later."""
    future = _pool().submit(commands.guarded, work)
    try:
        return {"type": MESSAGE, "data": message(future.result(timeout=wait))}
    except FutureTimeout:
        future.add_done_callback(lambda done: _fill_in(settings, payload, done))
        return {"type": DEFERRED, "data": {"flags": EPHEMERAL}}


def _setup(settings: Settings, caller: Caller, options: dict[str, Any]) -> Reply:
    channel_id, role_id = str(options.get("channel", "")), str(options.get("role", ""))

    def facts() -> SetupFacts | str:
        assert caller.guild_id is not None
        try:
            api = discord_rest.client(settings)
        except discord_rest.NotConfigured:
            return "DISCORD_BOT_TOKEN is not set on our side, so the bot cannot check the server"
        return discord_facts.from_rest(api, caller.guild_id, channel_id, role_id)

    slug = str(options.get("campaign", ""))
    return commands.setup(settings, caller, slug, channel_id, role_id, facts)


def answer(settings: Settings, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The response to a verified, fresh interaction."""
    kind = payload.get("type")
    if kind == PING:
        return {"type": PONG}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    assert isinstance(data, dict)
    name, caller = str(data.get("name", "")), caller_of(payload)
    if kind == AUTOCOMPLETE:
        found = commands.campaign_choices(settings, caller, name, _focused(data))
        choices = [{"name": label, "value": slug} for label, slug in found]
        return {"type": CHOICES, "data": {"choices": choices}}
    if kind != COMMAND:
        return {"type": MESSAGE, "data": message(Reply("This kind of interaction is not used."))}
    options = _options(data)
    if name == commands.PRESAVE:
        slug = options.get("campaign")
        work = lambda: commands.presave(settings, caller, str(slug) if slug else None)  # noqa: E731
        return _within_deadline(settings, payload, work, DEFER_AFTER)
    if name == commands.STOP:
        return _within_deadline(
            settings, payload, lambda: commands.stop_alerts(settings, caller), DEFER_AFTER
        )
    if name == commands.SETUP:
        setup = lambda: _setup(settings, caller, options)  # noqa: E731
        return _within_deadline(settings, payload, setup, DEFER_AFTER)
    return {"type": MESSAGE, "data": message(Reply(f"Unknown command /{name[:32]}."))}
