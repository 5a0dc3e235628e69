"""/_sandbox/discord/interact: run a slash command as a member, signed as Discord signs it,
against our interactions endpoint; and /_sandbox/discord/guilds/<id>: a server as seeded."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox import discord_signing
from sandbox.admin import Admin, AdminError, body_of
from sandbox.callbacks import OPENER, is_loopback_url
from sandbox.discord_demo import DEMO_GUILD_ID
from sandbox.discord_objects import Guild
from sandbox.discord_payload import Command, PayloadError, interaction
from sandbox.discord_perms import MANAGE_GUILD, base_permissions
from sandbox.http import json_response

INTERACTION_TIMEOUT_S = 10.0  # Discord gives up after 3 s; a slow test machine needs more


def post_interaction(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """POST a signed interaction; (status, body), 4xx and 5xx included."""
    stamp = str(int(time.time()))  # Discord signs with the real time: our app checks it
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) only, checked by callers
        url, data=body, headers=discord_signing.headers(stamp, body), method="POST"
    )
    try:
        with OPENER.open(request, timeout=timeout) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def _field(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise AdminError(f"{name} must be a string")
    return value.strip()


def _command(data: dict[str, Any], guild: Guild, first_channel: str) -> Command:
    """The command asked for; the server defaults to the demo one, the channel to its first."""
    options = data.get("options", {})
    if not isinstance(options, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in options.items()
    ):
        raise AdminError("options must be an object of strings (name: value)")
    user_id = _field(data, "user_id")
    if not user_id:
        raise AdminError("user_id: required (a member of the server)")
    name = _field(data, "command").removeprefix("/")
    if not name:
        raise AdminError("command: required (presave, presave-setup or stopalerts)")
    return Command(guild.id, _field(data, "channel_id", first_channel), user_id, name, options)


class DiscordInteract(Admin):
    """Interactions sent to our app, and the servers the console shows."""

    service = "discord_interact"
    routes: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("/_sandbox/discord/interact", "interact", ("POST",)),
        ("/_sandbox/discord/guilds/<guild_id>", "guild", ("GET",)),
    )

    def on_interact(self, request: Request) -> Response | dict[str, Any]:
        """{user_id, command, options?, guild_id? (the demo server), channel_id?, url?}:
        what our app answered (`answer`) and what it sent through the webhook so far."""
        data = body_of(request)
        store, config = self.state.discord, self.state.config
        guild = store.guilds.get(_field(data, "guild_id", DEMO_GUILD_ID))
        if guild is None:
            raise AdminError("guild_id: no such server in the sandbox")
        first = next((c.id for c in store.channels.values() if c.guild_id == guild.id), "")
        command = _command(data, guild, first)
        url = _field(data, "url", config.discord_interactions_url)
        if not url:
            raise AdminError("url: no interactions endpoint is set (--interactions-url)")
        if not is_loopback_url(url):
            raise AdminError("url must be an http(s) URL on 127.0.0.1, localhost or ::1")
        try:
            payload = interaction(
                store, command, config.discord_application_id, config.discord_bot_user_id,
                store.snowflake(),
            )  # fmt: skip
        except PayloadError as exc:
            raise AdminError(str(exc)) from exc
        sent = {"id": payload["id"], "token": payload["token"]}
        try:
            status, raw = post_interaction(url, json.dumps(payload).encode(), INTERACTION_TIMEOUT_S)
        except (OSError, ValueError) as exc:
            return json_response({"error": f"could not reach {url}: {exc}"} | sent, 502)
        text = raw[:2000].decode("utf-8", "replace")
        try:
            answer = json.loads(raw) if status == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            problem = f"the endpoint answered {status}: {text.strip()}"
            return json_response({"error": problem, "status": status} | sent, 502)
        with store.lock:
            webhook = list(store.interactions.get(payload["token"], []))
        return {"status": status, "answer": answer, "webhook": webhook} | sent

    def on_guild(self, request: Request, guild_id: str) -> Response | dict[str, Any]:
        """A seeded server: its channels, roles and members (with role ids and whether they
        may manage the server); the bot is left out."""
        store = self.state.discord
        guild = store.guilds.get(guild_id)
        if guild is None:
            return json_response({"error": "no such server"}, 404)
        bot = self.state.config.discord_bot_user_id
        with store.lock:
            channels = [
                {"id": c.id, "name": c.name, "type": c.type}
                for c in sorted(store.channels.values(), key=lambda c: c.position)
                if c.guild_id == guild.id
            ]
            members = [
                {"id": user_id, "username": store.username(user_id),
                 "roles": sorted(member.roles),
                 "manage_guild": bool(base_permissions(guild, user_id) & MANAGE_GUILD)}
                for user_id, member in guild.members.items() if user_id != bot
            ]  # fmt: skip
        return {
            "id": guild.id, "name": guild.name, "channels": channels, "members": members,
            "roles": {r["id"]: r["name"] for r in guild.roles_json()},
        }  # fmt: skip
