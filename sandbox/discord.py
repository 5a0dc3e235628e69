"""Discord REST API (v10) stand-in: DMs, channel messages, roles, lookups, interaction
webhooks and commands, behind the global limit, route buckets and the invalid-request ban."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.discord_objects import Channel, Guild, Member, Message, is_snowflake
from sandbox.discord_perms import (
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    may_assign,
    member_permissions,
    pings,
)
from sandbox.discord_wire import (
    BAD_JSON,
    bad_json,
    body_of,
    bot_token,
    checked_commands,
    counts_invalid,
    fault_subject,
    merged_interaction_message,
    message_problem,
    refusal,
    unknown,
)
from sandbox.http import (
    bucket_headers,
    discord_error,
    discord_invalid_form,
    discord_rate_limited,
    forced,
    json_response,
)
from sandbox.state import ARRIVED, SandboxState

V10 = "/api/v10"
EXEMPT = frozenset({"interaction_edit", "interaction_followup"})  # not bound to the global limit
MESSAGES_BUCKET = "80c17d2f203122d936070c88c8d10f33"  # one hash; the channel is the major param
SETTABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 15)  # SUPPRESS_EMBEDS, _NOTIFICATIONS, COMPONENTS_V2
BANNED = "error code: 1015"


class DiscordApi:
    """The discord.com/api/v10 stand-in; endpoint names are those fault rules match."""

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
        """`on_<endpoint>`: the ban, the shared gates, then `_<endpoint>` (made once)."""
        if not name.startswith("on_"):
            raise AttributeError(name)
        endpoint = name.removeprefix("on_")
        handler: Callable[..., Response] = getattr(self, f"_{endpoint}")

        def gated(request: Request, **args: str) -> Response:
            store, config = self.state.discord, self.state.config
            if endpoint not in EXEMPT:
                arrived = request.environ.setdefault(ARRIVED, time.monotonic())
                self.state.arrivals.record("discord", arrived)
            if store.banned():
                store.bump("banned_requests")
                return Response(BANNED, 429, content_type="text/plain; charset=utf-8")
            response = self._gate(request, endpoint, args) or handler(request, **args)
            if counts_invalid(response):
                store.count_invalid(config.discord_invalid_limit, config.discord_ban_s)
            return response

        setattr(self, name, gated)
        return gated

    def _gate(self, request: Request, endpoint: str, args: dict[str, str]) -> Response | None:
        """Authentication and the global limit (interaction webhooks skip both), then faults."""
        config = self.state.config
        if endpoint not in EXEMPT:
            token = bot_token(request)
            if not token or (not config.accept_any_bot and token != config.discord_bot_token):
                return discord_error(401, 0, "401: Unauthorized")
            rps = config.discord_global_rps
            arrived = request.environ.get(ARRIVED, time.monotonic())
            wait = self.state.limiter.admit("discord:global", rps, 1.0, arrived) if rps else None
            if wait is not None:
                self.state.discord.bump("global_429")
                self.state.stats.rate_limited(self.service)
                return discord_rate_limited(wait, is_global=True)
        return forced(self.state, self.service, endpoint, fault_subject(request, args))

    def _bot(self) -> dict[str, Any]:
        """The bot's user object."""
        return self.state.discord.bot_json(self.state.config.discord_bot_user_id)

    def _bot_permissions(self, channel: Channel) -> tuple[Guild | None, int]:
        """The bot's server and permissions in a server channel."""
        guild = self.state.discord.guilds.get(channel.guild_id or "")
        bot_id = self.state.config.discord_bot_user_id
        return guild, member_permissions(guild, channel, bot_id)

    def _channel(self, channel_id: str) -> tuple[Channel, int] | Response:
        """A channel the bot can see and its permissions there, or Discord's 404/403."""
        channel = self.state.discord.channels.get(channel_id)
        if channel is None:
            return unknown("channel")
        perms = self._bot_permissions(channel)[1]
        return refusal(channel, perms) or (channel, perms)

    def _me(self, request: Request) -> Response:
        return json_response(self._bot())

    def _dm_create(self, request: Request) -> Response:
        body = body_of(request)
        if body is BAD_JSON:
            return bad_json()
        recipient = body.get("recipient_id") if isinstance(body, dict) else None
        if recipient is None:
            required = ("This field is required", "BASE_TYPE_REQUIRED")
            return discord_invalid_form("recipient_id", *required)
        text = str(recipient) if isinstance(recipient, str | int) else ""
        if isinstance(recipient, bool) or not is_snowflake(text):
            problem = f'Value "{recipient}" is not snowflake.'
            return discord_invalid_form("recipient_id", problem, "NUMBER_TYPE_COERCE")
        store = self.state.discord
        return json_response(store.channel_json(store.dm_channel(text)))

    def _message_create(self, request: Request, channel_id: str) -> Response:
        store, config = self.state.discord, self.state.config
        channel = store.channels.get(channel_id)
        if channel is None:
            return unknown("channel")
        limit = config.discord_channel_messages_per_5s
        arrived = request.environ.get(ARRIVED, time.monotonic())
        wait, remaining, reset = store.take_bucket(f"messages:{channel_id}", limit, arrived)
        if wait:
            store.bump("route_429")
            self.state.stats.rate_limited(self.service)
            return discord_rate_limited(wait, is_global=False, bucket=MESSAGES_BUCKET, limit=limit)
        body = body_of(request)
        problem = bad_json() if body is BAD_JSON else message_problem(body, require=True)
        if problem is not None:
            return problem
        if channel.recipient is not None and channel.recipient in config.discord_dms_closed:
            return discord_error(403, 50007, "Cannot send messages to this user")
        guild, perms = self._bot_permissions(channel)
        refused = refusal(channel, perms, SEND_MESSAGES)
        if refused is not None:
            return refused
        content = str(body.get("content") or "")
        roles, everyone = pings(guild, perms, content, body.get("allowed_mentions"))
        nonce = body.get("nonce")
        enforced = str(nonce) if nonce is not None and body.get("enforce_nonce") is True else None

        def make(message_id: str) -> Message:
            return Message(
                id=message_id, channel_id=channel.id, guild_id=channel.guild_id, content=content,
                nonce=nonce, components=list(body.get("components") or []),
                flags=int(body.get("flags") or 0) & SETTABLE_FLAGS, pinged_roles=roles,
                mention_everyone=everyone,
            )  # fmt: skip

        message, _ = store.post(channel, make, enforced, config.discord_nonce_window_s)
        response = json_response(message.as_json(self._bot(), with_nonce=True))
        response.headers.update(bucket_headers(MESSAGES_BUCKET, limit, remaining, reset))
        return response

    def _messages_list(self, request: Request, channel_id: str) -> Response:
        found = self._channel(channel_id)
        if isinstance(found, Response):
            return found
        channel, perms = found
        raw = request.args.get("limit", "50")
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
            problem = "int value should be between 1 and 100."
            return discord_invalid_form("limit", problem, "NUMBER_TYPE_MAX")
        anchor, at = "", None
        for name in ("around", "before", "after"):  # mutually exclusive; the first one wins
            value = request.args.get(name)
            if value is not None:
                if not (value.isascii() and value.isdigit() and len(value) <= 20):
                    problem = f'Value "{value}" is not snowflake.'
                    return discord_invalid_form(name, problem, "NUMBER_TYPE_COERCE")
                anchor, at = name, int(value)
                break
        if channel.guild_id is not None and not perms & READ_MESSAGE_HISTORY:
            return json_response([])  # documented: no messages without the permission
        page = self.state.discord.page(channel_id, int(raw), anchor, at)
        author = self._bot()
        return json_response([m.as_json(author) for m in page])

    def _channel_get(self, request: Request, channel_id: str) -> Response:
        found = self._channel(channel_id)
        if isinstance(found, Response):
            return found
        return json_response(self.state.discord.channel_json(found[0]))

    def _guild(self, guild_id: str) -> Guild | Response:
        """A server the bot is in, or Discord's 404/403."""
        guild = self.state.discord.guilds.get(guild_id)
        if guild is None:
            return unknown("guild")
        bot_id = self.state.config.discord_bot_user_id
        if bot_id not in guild.members and bot_id != guild.owner_id:
            return discord_error(403, 50001, "Missing Access")
        return guild

    def _guild_get(self, request: Request, guild_id: str) -> Response:
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        body = {"id": guild.id, "name": guild.name, "owner_id": guild.owner_id, "icon": None}
        return json_response(body | {"roles": guild.roles_json()})

    def _roles_list(self, request: Request, guild_id: str) -> Response:
        guild = self._guild(guild_id)
        return guild if isinstance(guild, Response) else json_response(guild.roles_json())

    def _member(self, guild_id: str, user_id: str) -> tuple[Guild, Member] | Response:
        """(guild, member), or the error Discord gives for a server or member it can't find."""
        guild = self._guild(guild_id)
        if isinstance(guild, Response):
            return guild
        if not is_snowflake(user_id):
            return unknown("user")
        member = guild.members.get(user_id)
        return unknown("member") if member is None else (guild, member)

    def _member_get(self, request: Request, guild_id: str, user_id: str) -> Response:
        found = self._member(guild_id, user_id)
        if isinstance(found, Response):
            return found
        member = found[1]
        bot = user_id == self.state.config.discord_bot_user_id
        user = self._bot() if bot else self.state.discord.user_json(user_id)
        body = {"user": user, "roles": sorted(member.roles), "joined_at": member.joined_at}
        return json_response(body | {"nick": None, "deaf": False, "mute": False, "flags": 0})

    def _member_role_put(
        self, request: Request, guild_id: str, user_id: str, role_id: str
    ) -> Response:
        found = self._member(guild_id, user_id)
        if isinstance(found, Response):
            return found
        guild, member = found
        role = guild.roles.get(role_id)
        if role is None:
            return unknown("role")
        if not may_assign(guild, role, self.state.config.discord_bot_user_id):
            return discord_error(403, 50013, "Missing Permissions")
        with self.state.discord.lock:  # a new set: readers iterate the old one unlocked
            if request.method == "PUT":
                member.roles = member.roles | {role_id}
            else:
                member.roles = member.roles - {role_id}
        return Response(status=204)

    def _interaction(self, request: Request, application_id: str, token: str) -> Response:
        """An interaction's original answer edited (PATCH) or a follow-up posted (POST)."""
        if application_id != self.state.config.discord_application_id:
            return unknown("webhook")
        body = body_of(request)
        edit = request.method == "PATCH"
        problem = bad_json() if body is BAD_JSON else message_problem(body, require=not edit)
        if problem is not None:
            return problem
        extra = {"type": 0, "author": self._bot(), "webhook_id": application_id,
                 "application_id": application_id}  # fmt: skip
        message = self.state.discord.interaction_message(
            token, edit, lambda kept: merged_interaction_message(kept, body) | extra
        )
        return json_response({k: v for k, v in message.items() if k != "edit"})

    _interaction_edit = _interaction_followup = _interaction

    def _commands_put(self, request: Request, application_id: str) -> Response:
        store = self.state.discord
        if not is_snowflake(application_id):
            return unknown("application")
        if application_id != self.state.config.discord_application_id:
            return discord_error(403, 50001, "Missing Access")
        if request.method == "GET":
            with store.lock:
                return json_response(store.commands)
        body = body_of(request)
        commands = bad_json() if body is BAD_JSON else checked_commands(body)
        if isinstance(commands, Response):
            return commands
        return json_response(store.overwrite_commands(application_id, commands))
