"""Discord REST API (v10) stand-in: DMs, channel messages, roles, lookups, interaction
webhooks and commands, with the global limit, route buckets and the invalid-request ban."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.config import (
    SANDBOX_DISCORD_APPLICATION_ID,
    SANDBOX_DISCORD_BOT_TOKEN,
    SANDBOX_DISCORD_BOT_USER_ID,
)
from sandbox.discord_store import (
    MANAGE_ROLES,
    MENTION_EVERYONE,
    READ_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Message,
    channel_permissions,
    is_snowflake,
)
from sandbox.http import forced, json_response
from sandbox.state import ARRIVED, SandboxState

V10 = "/api/v10"
ROLE_MENTION = re.compile(r"<@&(\d{17,20})>")
UNKNOWN = {"channel": 10003, "guild": 10004, "member": 10007, "role": 10011, "webhook": 10015}
EXEMPT = frozenset({"interaction_edit", "interaction_followup"})  # not bound to the global limit


def discord_error(status: int, code: int, message: str, **headers: str) -> Response:
    """Discord's error body: {"code", "message"}."""
    return json_response({"code": code, "message": message}, status, headers or None)


def unknown(kind: str) -> Response:
    """404 Unknown Channel/Guild/Member/Role/Webhook."""
    return discord_error(404, UNKNOWN[kind], f"Unknown {kind.capitalize()}")


def rate_limited(retry_after: float, *, is_global: bool, bucket: str = "") -> Response:
    """429 in Discord's shape, scope global or user."""
    headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))}
    if is_global:
        headers |= {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
    else:
        headers |= {"X-RateLimit-Scope": "user", "X-RateLimit-Bucket": bucket or "sandbox"}
        headers |= {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"}
        headers |= {"X-RateLimit-Reset-After": f"{retry_after:.3f}"}
        headers["X-RateLimit-Reset"] = f"{time.time() + retry_after:.3f}"
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3)}
    return json_response(body | {"global": is_global}, 429, headers)


def _body(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError:
        return None


def invalid_form(field: str, problem: str) -> Response:
    """400 Invalid Form Body, naming the field."""
    errors = {field: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": problem}]}}
    body = {"code": 50035, "message": "Invalid Form Body", "errors": errors}
    return json_response(body, 400)


class DiscordApi:
    """The discord.com/api/v10 stand-in."""

    service = "discord"
    routes = (
        (f"{V10}/users/@me", "me", ("GET",)),
        (f"{V10}/users/@me/channels", "dm_create", ("POST",)),
        (f"{V10}/channels/<channel_id>/messages", "message_create", ("POST",)),
        (f"{V10}/channels/<channel_id>/messages", "messages_list", ("GET",)),
        (f"{V10}/channels/<channel_id>", "channel_get", ("GET",)),
        (f"{V10}/guilds/<guild_id>", "guild_get", ("GET",)),
        (f"{V10}/guilds/<guild_id>/roles", "roles_list", ("GET",)),
        (f"{V10}/guilds/<guild_id>/members/<user_id>", "member_get", ("GET",)),
        (f"{V10}/guilds/<guild_id>/members/<user_id>/roles/<role_id>", "member_role_put",
         ("PUT", "DELETE")),
        (f"{V10}/webhooks/<application_id>/<token>/messages/@original", "interaction_edit",
         ("PATCH",)),
        (f"{V10}/webhooks/<application_id>/<token>", "interaction_followup", ("POST",)),
        (f"{V10}/applications/<application_id>/commands", "commands_put", ("PUT", "GET")),
    )  # fmt: skip

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def __getattr__(self, name: str) -> Callable[..., Response]:
        """`on_<endpoint>`: the gates every endpoint shares, then `_<endpoint>`."""
        if not name.startswith("on_"):
            raise AttributeError(name)
        endpoint = name.removeprefix("on_")
        handler: Callable[..., Response] = getattr(self, f"_{endpoint}")

        def gated(request: Request, **args: str) -> Response:
            response = self._gate(request, endpoint, args) or handler(request, **args)
            self._count_invalid(response)
            return response

        return gated

    def _gate(self, request: Request, endpoint: str, args: dict[str, str]) -> Response | None:
        """Ban, authentication, the global limit and forced faults, in Discord's order."""
        store, config = self.state.discord, self.state.config
        if time.monotonic() < store.banned_until:
            store.counts["banned_requests"] += 1
            return Response("error code: 1015", 429, content_type="text/plain")
        if endpoint in EXEMPT:
            return None
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bot ").strip() if header.startswith("Bot ") else ""
        if not token or (token != SANDBOX_DISCORD_BOT_TOKEN and not config.accept_any_bot):
            return discord_error(401, 0, "401: Unauthorized")
        arrived = request.environ.get(ARRIVED, time.monotonic())
        self.state.arrivals.record("discord", arrived)  # refused ones below included
        if config.discord_global_rps:
            wait = self.state.limiter.admit(
                "discord:global", config.discord_global_rps, 1.0, arrived
            )
            if wait is not None:
                store.counts["global_429"] += 1
                self.state.stats.rate_limited(self.service)
                return rate_limited(wait, is_global=True)
        subject = args.get("channel_id") or args.get("user_id")
        return forced(self.state, self.service, endpoint, subject)

    def _count_invalid(self, response: Response) -> None:
        scope = response.headers.get("X-RateLimit-Scope")
        if response.status_code in (401, 403) or (
            response.status_code == 429 and scope != "shared"
        ):
            config = self.state.config
            self.state.discord.count_invalid(config.discord_invalid_limit, config.discord_ban_s)

    def _me(self, request: Request) -> Response:
        user = {"id": SANDBOX_DISCORD_BOT_USER_ID, "username": "presave-sandbox"}
        return json_response(user | {"discriminator": "0", "bot": True})

    def _dm_create(self, request: Request) -> Response:
        body = _body(request)
        recipient = body.get("recipient_id") if isinstance(body, dict) else None
        if not is_snowflake(recipient):
            return invalid_form("recipient_id", "Value is not snowflake.")
        return json_response(self.state.discord.dm_channel(str(recipient)).as_json())

    def _permitted(self, channel: Channel, needed: int) -> Response | None:
        """None when the bot has `needed` in this guild channel, else Discord's 403."""
        if channel.guild_id is None:
            return None
        guild = self.state.discord.guilds.get(channel.guild_id)
        perms = channel_permissions(guild, channel, SANDBOX_DISCORD_BOT_USER_ID) if guild else 0
        if not perms & VIEW_CHANNEL:
            return discord_error(403, 50001, "Missing Access")
        if perms & needed != needed:
            return discord_error(403, 50013, "Missing Permissions")
        return None

    def _message_create(self, request: Request, channel_id: str) -> Response:
        store, config = self.state.discord, self.state.config
        channel = store.channels.get(channel_id)
        if channel is None:
            return unknown("channel")
        body = _body(request)
        if not isinstance(body, dict):
            return invalid_form("content", "Must be a JSON object.")
        content, components = str(body.get("content") or ""), body.get("components") or []
        nonce = body.get("nonce")
        if len(content) > 2000:
            return invalid_form("content", "Must be 2000 or fewer in length.")
        if nonce is not None and (isinstance(nonce, bool) or len(str(nonce)) > 25):
            return invalid_form("nonce", "Must be 25 or fewer in length.")
        if not content and not components:
            return discord_error(400, 50006, "Cannot send an empty message")
        if channel.recipient is not None and channel.recipient in config.discord_dms_closed:
            return discord_error(403, 50007, "Cannot send messages to this user")
        denied = self._permitted(channel, SEND_MESSAGES)
        if denied is not None:
            return denied
        if nonce is not None and body.get("enforce_nonce"):
            seen = store.nonces.get((channel_id, str(nonce)))
            if seen and time.monotonic() - seen.created < config.discord_nonce_window_s:
                return json_response(seen.as_json(with_nonce=True))
        wait = store.route_wait(channel_id, config.discord_channel_messages_per_5s)
        if wait:
            store.counts["route_429"] += 1
            return rate_limited(wait, is_global=False, bucket=f"channel-{channel_id}")
        message = Message(
            id=store.snowflake(), channel_id=channel_id, author_id=SANDBOX_DISCORD_BOT_USER_ID,
            content=content, timestamp=datetime.now(UTC).isoformat(),
            nonce=None if nonce is None else str(nonce), components=list(components),
            pinged_roles=self._pinged(channel, content, body.get("allowed_mentions")),
        )  # fmt: skip
        store.add(message)
        return json_response(message.as_json(with_nonce=True))

    def _pinged(self, channel: Channel, content: str, allowed: Any) -> list[str]:
        """Roles a message really pings: allowed by allowed_mentions, and mentionable or
        the bot may mention everyone there."""
        guild = self.state.discord.guilds.get(channel.guild_id or "")
        if guild is None:
            return []
        perms = channel_permissions(guild, channel, SANDBOX_DISCORD_BOT_USER_ID)
        listed = None
        if isinstance(allowed, dict):
            parse = allowed.get("parse") or []
            listed = None if "roles" in parse else {str(r) for r in allowed.get("roles") or []}
        pinged = []
        for role_id in ROLE_MENTION.findall(content):
            role = guild.roles.get(role_id)
            if role is None or (listed is not None and role_id not in listed):
                continue
            if role.mentionable or perms & MENTION_EVERYONE:
                pinged.append(role_id)
        return pinged

    def _messages_list(self, request: Request, channel_id: str) -> Response:
        store = self.state.discord
        channel = store.channels.get(channel_id)
        if channel is None:
            return unknown("channel")
        denied = self._permitted(channel, READ_HISTORY)
        if denied is not None:
            return denied
        raw = request.args.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return invalid_form("limit", "Must be between 1 and 100.")
        after, before = request.args.get("after"), request.args.get("before")
        with store.lock:
            found = list(store.messages.get(channel_id, []))
        if after:
            found = [m for m in found if int(m.id) > int(after)][: int(raw)]
        if before:
            found = [m for m in found if int(m.id) < int(before)][-int(raw) :]
        found = found[-int(raw) :] if not after else found
        return json_response([m.as_json() for m in reversed(found)])

    def _channel_get(self, request: Request, channel_id: str) -> Response:
        channel = self.state.discord.channels.get(channel_id)
        if channel is None:
            return unknown("channel")
        return self._permitted(channel, 0) or json_response(channel.as_json())

    def _guild(self, guild_id: str) -> Any:
        guild = self.state.discord.guilds.get(guild_id)
        if guild is None:
            return unknown("guild")
        if SANDBOX_DISCORD_BOT_USER_ID not in guild.members:
            return discord_error(403, 50001, "Missing Access")
        return guild

    def _guild_get(self, request: Request, guild_id: str) -> Response:
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        roles = [r.as_json() for r in guild.roles.values()]
        return json_response(
            {"id": guild.id, "name": guild.name, "owner_id": guild.owner_id, "roles": roles}
        )

    def _roles_list(self, request: Request, guild_id: str) -> Response:
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        return json_response([r.as_json() for r in guild.roles.values()])

    def _member_get(self, request: Request, guild_id: str, user_id: str) -> Response:
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        roles = guild.members.get(user_id)
        if roles is None:
            return unknown("member")
        user = {"id": user_id, "username": f"user{user_id[-4:]}"}
        return json_response(
            {"user": user, "roles": sorted(roles), "joined_at": "2026-01-01T00:00:00+00:00"}
        )

    def _member_role_put(
        self, request: Request, guild_id: str, user_id: str, role_id: str
    ) -> Response:
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        if user_id not in guild.members:
            return unknown("member")
        role = guild.roles.get(role_id)
        if role is None:
            return unknown("role")
        bot = SANDBOX_DISCORD_BOT_USER_ID
        top = max(
            (guild.roles[r].position for r in guild.members[bot] if r in guild.roles), default=0
        )
        allowed = channel_permissions(guild, None, bot) & MANAGE_ROLES or guild.owner_id == bot
        if not allowed or role.managed or role_id == guild.id or role.position >= top:
            return discord_error(403, 50013, "Missing Permissions")
        with self.state.discord.lock:
            if request.method == "PUT":
                guild.members[user_id].add(role_id)
            else:
                guild.members[user_id].discard(role_id)
        return Response(status=204)

    def _interaction_message(self, request: Request, application_id: str, token: str) -> Response:
        if application_id != SANDBOX_DISCORD_APPLICATION_ID:
            return unknown("webhook")
        body = _body(request)
        if not isinstance(body, dict):
            return invalid_form("content", "Must be a JSON object.")
        store = self.state.discord
        message = {"id": store.snowflake(), "content": str(body.get("content", "")),
                   "components": body.get("components") or [], "flags": body.get("flags", 0),
                   "edit": request.method == "PATCH"}  # fmt: skip
        with store.lock:
            store.interaction_messages.setdefault(token, []).append(message)
        return json_response(message)

    def _interaction_edit(self, request: Request, application_id: str, token: str) -> Response:
        return self._interaction_message(request, application_id, token)

    def _interaction_followup(self, request: Request, application_id: str, token: str) -> Response:
        return self._interaction_message(request, application_id, token)

    def _commands_put(self, request: Request, application_id: str) -> Response:
        if application_id != SANDBOX_DISCORD_APPLICATION_ID:
            return discord_error(403, 50001, "Missing Access")
        store = self.state.discord
        if request.method == "GET":
            return json_response(store.commands)
        body = _body(request)
        if not isinstance(body, list) or len(body) > 100:
            return invalid_form("commands", "Must be a list of at most 100 commands.")
        stored = []
        for n, command in enumerate(body):
            name = command.get("name") if isinstance(command, dict) else None
            text = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not isinstance(name, str) or not re.fullmatch(r"[-_a-z0-9]{1,32}", name):
                return invalid_form(f"{n}.name", "Command name is invalid")
            if not 1 <= len(text) <= 100:
                return invalid_form(f"{n}.description", "Must be between 1 and 100 in length.")
            ids = {"id": store.snowflake(), "application_id": application_id, "version": "1"}
            stored.append(dict(command) | ids)
        store.commands = stored
        return json_response(stored)
