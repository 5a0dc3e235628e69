"""The Discord stand-in's wire: JSON bodies read once, what it accepts in messages,
allowed_mentions and application commands (else Discord's 50006 / 50035 / 50109), and its
404 "Unknown ..." answers."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.discord_objects import Channel
from sandbox.discord_perms import PARSE_KINDS, VIEW_CHANNEL
from sandbox.http import discord_error, discord_invalid_form

MAX_CONTENT = 2000
MAX_NONCE = 25
MAX_COMMANDS = 100
MAX_OPTIONS = 25
COMMAND_NAME = re.compile(r"[-_a-z0-9]{1,32}")
COMMAND_TYPES = frozenset({1, 2, 3, 4})  # chat input, user, message, primary entry point
CONTEXTS, INTEGRATION_TYPES = frozenset({0, 1, 2}), frozenset({0, 1})
COMPONENTS_V2 = 1 << 15
UNKNOWN = {
    "application": 10002, "channel": 10003, "guild": 10004, "member": 10007,
    "role": 10011, "user": 10013, "webhook": 10015,
}  # fmt: skip
BODY = "sandbox.discord.body"  # WSGI environ key: the parsed JSON body
BAD_JSON = object()


def unknown(kind: str) -> Response:
    """404 Unknown Application/Channel/Guild/Member/Role/User/Webhook."""
    return discord_error(404, UNKNOWN[kind], f"Unknown {kind.capitalize()}")


def body_of(request: Request) -> Any:
    """The JSON body (None when empty, BAD_JSON when unparsable), parsed once."""
    if BODY not in request.environ:
        raw = request.get_data()
        try:
            request.environ[BODY] = json.loads(raw) if raw else None
        except ValueError:
            request.environ[BODY] = BAD_JSON
    return request.environ[BODY]


def bot_token(request: Request) -> str:
    """The token of an `Authorization: Bot <token>` header ("" without one)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme == "Bot" else ""


def fault_subject(request: Request, args: dict[str, str]) -> str | None:
    """What a fault rule's `subject` matches: the user of member routes, the channel, the
    server, the interaction token, the application, or a new DM's recipient."""
    for name in ("user_id", "channel_id", "guild_id", "token", "application_id"):
        if name in args:
            return args[name]
    body = body_of(request) if request.method == "POST" else None
    return str(body.get("recipient_id")) if isinstance(body, dict) else None


def refusal(channel: Channel, perms: int, needed: int = 0) -> Response | None:
    """Discord's 403 when the bot cannot see a server channel (50001) or lacks `needed`
    there (50013); None in DM channels, which the bot always may use."""
    if channel.guild_id is None:
        return None
    if not perms & VIEW_CHANNEL:
        return discord_error(403, 50001, "Missing Access")
    if perms & needed != needed:
        return discord_error(403, 50013, "Missing Permissions")
    return None


def bad_json() -> Response:
    """Discord's 50109 for a body that is not JSON."""
    return discord_error(400, 50109, "The request body contains invalid JSON.")


def counts_invalid(response: Response) -> bool:
    """What Discord counts toward the ban: 401, 403, and 429 outside the shared scope."""
    status = response.status_code
    scope = response.headers.get("X-RateLimit-Scope")
    return status in (401, 403) or (status == 429 and scope != "shared")


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def message_problem(body: Any, *, require: bool) -> Response | None:
    """Discord's 400 for a malformed message body (`require`: something must be sent)."""
    if not isinstance(body, dict):
        return discord_invalid_form("", "Expected an object.", "DICT_TYPE_CONVERT")
    content, nonce = body.get("content"), body.get("nonce")
    if content is not None and not isinstance(content, str):
        return discord_invalid_form("content", "Could not interpret value as string.")
    if content is not None and len(content) > MAX_CONTENT:
        problem = f"Must be {MAX_CONTENT} or fewer in length."
        return discord_invalid_form("content", problem, "BASE_TYPE_MAX_LENGTH")
    nonce_ok = nonce is None or _int(nonce) or isinstance(nonce, str)
    if not nonce_ok or len(str(nonce)) > MAX_NONCE:
        problem = f"Must be an integer or a string of {MAX_NONCE} or fewer characters."
        return discord_invalid_form("nonce", problem, "BASE_TYPE_MAX_LENGTH")
    components, flags = body.get("components"), body.get("flags")
    if components is not None and not isinstance(components, list):
        return discord_invalid_form("components", "Must be an array.", "BASE_TYPE_INVALID")
    if flags is not None and not _int(flags):
        return discord_invalid_form("flags", "Must be an integer.", "NUMBER_TYPE_COERCE")
    if content and isinstance(flags, int) and flags & COMPONENTS_V2:
        problem = "Cannot send content with the IS_COMPONENTS_V2 flag."
        return discord_invalid_form("content", problem, "MESSAGE_CANNOT_USE_LEGACY_FIELDS")
    mentions = allowed_mentions_problem(body.get("allowed_mentions"))
    if mentions is not None:
        return mentions
    if require and not (content or components or body.get("embeds")):
        return discord_error(400, 50006, "Cannot send an empty message")
    return None


def allowed_mentions_problem(allowed: Any) -> Response | None:
    """Discord's 50035 for a malformed allowed_mentions object (`parse` and a list of the
    same kind are mutually exclusive)."""
    if allowed is None:
        return None
    if not isinstance(allowed, dict):
        return discord_invalid_form("allowed_mentions", "Must be an object.", "DICT_TYPE_CONVERT")
    parse = allowed.get("parse") or []
    if not isinstance(parse, list) or not set(map(str, parse)) <= PARSE_KINDS:
        problem = "Value must be one of {'roles', 'users', 'everyone'}."
        return discord_invalid_form("allowed_mentions.parse", problem, "BASE_TYPE_CHOICES")
    for kind in ("roles", "users"):
        listed = allowed.get(kind) or []
        where = f"allowed_mentions.{kind}"
        if not isinstance(listed, list) or len(listed) > 100:
            return discord_invalid_form(where, "Must be 100 or fewer in length.")
        if not all(isinstance(x, str | int) and str(x).isdigit() for x in listed):
            return discord_invalid_form(where, "Value is not snowflake.", "NUMBER_TYPE_COERCE")
        if listed and kind in parse:
            problem = f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.'
            return discord_invalid_form("allowed_mentions", problem, "MESSAGE_ALLOWED_MENTIONS")
    return None


def merged_interaction_message(previous: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """An interaction message after an edit or follow-up: fields sent replace those kept."""
    message = dict(previous)
    for name, empty in (("content", ""), ("components", None), ("flags", 0)):
        if name in body or name not in message:
            message[name] = body.get(name, empty)
    message["components"] = list(message["components"] or [])
    message["flags"] = int(message["flags"] or 0)
    return message


def _length(value: object, low: int, high: int) -> bool:
    return isinstance(value, str) and low <= len(value) <= high


def _command_problem(command: Any, at: str) -> Response | None:
    """50035 for one malformed command (or option) object."""
    if not isinstance(command, dict):
        return discord_invalid_form(at, "Expected an object.", "DICT_TYPE_CONVERT")
    kind = command.get("type", 1)
    name, description = command.get("name"), command.get("description", "")
    if not _int(kind) or kind not in COMMAND_TYPES:
        return discord_invalid_form(f"{at}.type", f"Value must be one of {sorted(COMMAND_TYPES)}.")
    chat = kind == 1
    named = isinstance(name, str) and COMMAND_NAME.fullmatch(name) is not None
    if not (named if chat else _length(name, 1, 32)):
        problem = "Command name is invalid"
        return discord_invalid_form(f"{at}.name", problem, "APPLICATION_COMMAND_INVALID_NAME")
    if not (_length(description, 1, 100) if chat else description in ("", None)):
        problem = "Must be between 1 and 100 in length." if chat else "Must be empty."
        return discord_invalid_form(f"{at}.description", problem, "BASE_TYPE_BAD_LENGTH")
    permissions = command.get("default_member_permissions")
    if permissions is not None and not str(permissions).isdigit():
        problem = f'Value "{permissions}" is not a valid permission set.'
        return discord_invalid_form(f"{at}.default_member_permissions", problem)
    for field, allowed in (("contexts", CONTEXTS), ("integration_types", INTEGRATION_TYPES)):
        values = command.get(field)
        if values is not None and not (isinstance(values, list) and set(values) <= allowed):
            problem = f"Value must be one of {sorted(allowed)}."
            return discord_invalid_form(f"{at}.{field}", problem, "BASE_TYPE_CHOICES")
    return _options_problem(command.get("options"), f"{at}.options")


def _options_problem(options: Any, at: str) -> Response | None:
    """50035 for malformed command options (names and descriptions like a command's)."""
    if options is None:
        return None
    if not isinstance(options, list) or len(options) > MAX_OPTIONS:
        problem = f"Must be {MAX_OPTIONS} or fewer in length."
        return discord_invalid_form(at, problem, "BASE_TYPE_MAX_LENGTH")
    for n, option in enumerate(options):
        if not isinstance(option, dict):
            return discord_invalid_form(f"{at}.{n}", "Expected an object.", "DICT_TYPE_CONVERT")
        name = option.get("name")
        if not (isinstance(name, str) and COMMAND_NAME.fullmatch(name)):
            problem = "Command name is invalid"
            return discord_invalid_form(
                f"{at}.{n}.name", problem, "APPLICATION_COMMAND_INVALID_NAME"
            )
        if not _length(option.get("description"), 1, 100):
            problem = "Must be between 1 and 100 in length."
            return discord_invalid_form(f"{at}.{n}.description", problem, "BASE_TYPE_BAD_LENGTH")
        if not _int(option.get("type")) or not 1 <= option["type"] <= 11:
            problem = "Value must be one of 1 to 11."
            return discord_invalid_form(f"{at}.{n}.type", problem, "BASE_TYPE_CHOICES")
        nested = _options_problem(option.get("options"), f"{at}.{n}.options")
        if nested is not None:
            return nested
    return None


def checked_commands(body: Any) -> list[dict[str, Any]] | Response:
    """A bulk overwrite's commands with Discord's defaults filled in, or its 400."""
    if not isinstance(body, list):
        return discord_invalid_form("", "Expected an array.", "LIST_TYPE_CONVERT")
    if len(body) > MAX_COMMANDS:
        too_many = f"Must be {MAX_COMMANDS} or fewer in length."
        return discord_invalid_form("", too_many, "BASE_TYPE_MAX_LENGTH")
    seen: set[tuple[int, str]] = set()
    out: list[dict[str, Any]] = []
    for n, command in enumerate(body):
        refused = _command_problem(command, str(n))
        if refused is not None:
            return refused
        key = (int(command.get("type", 1)), str(command["name"]))
        if key in seen:
            unique = "Application command names must be unique"
            return discord_invalid_form("", unique, "APPLICATION_COMMANDS_DUPLICATE_NAME")
        seen.add(key)
        permissions = command.get("default_member_permissions")
        out.append({
            **command, "type": key[0], "description": command.get("description") or "",
            "options": command.get("options") or [], "nsfw": bool(command.get("nsfw", False)),
            "default_member_permissions": None if permissions is None else str(permissions),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types") or [0],
        })  # fmt: skip
    return out
