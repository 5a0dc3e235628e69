"""The console's Discord simulator: the demo server, slash commands run as one of its
members, and what the bot sent them, all through the sandbox's admin API over HTTP."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from core import sandbox_admin
from core.sandbox_address import SandboxNotRunning, sandbox_base
from core.settings import Settings

# The demo server every sandbox starts with (sandbox/discord_demo.py holds the same ids).
DEMO_GUILD_ID = "1300000000000000001"
COMMANDS = ("presave", "presave-setup", "stopalerts")
OPTIONS = {"presave": ("campaign",), "presave-setup": ("campaign", "channel", "role")}
MAX_CAMPAIGN = 100
DEFERRED, FILLED_IN_WITHIN_S = 5, 10.0
ANNOUNCEMENT_TYPES = (0, 5)
URL = re.compile(r"https?://[^\s<>()\"']+")
MENTION = re.compile(r"<(#|@&|@!?)([0-9]{17,20})>")
MARKUP = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`", re.S)


class SimulatorError(ValueError):
    """Bad input, or the sandbox refused the command: the message names the field."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.field_name = field_name


@dataclass(frozen=True)
class Link:
    """A clickable link in a message (a link button, or a URL in its text)."""

    label: str
    url: str


@dataclass(frozen=True)
class Post:
    """A message as the console shows it: its text, and that text in parts ("text",
    "strong" or "code", as Discord shows **bold** and `code`), mentions named."""

    text: str
    links: tuple[Link, ...] = ()
    parts: tuple[tuple[str, str], ...] = ()


def parts_of(text: str, names: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The text with mentions (<#channel>, <@&role>, <@user>) named and its markup split."""
    known = names or {}
    named = MENTION.sub(lambda m: known.get(m[2], m[0]), text)
    found: list[tuple[str, str]] = []
    at = 0
    for match in MARKUP.finditer(named):
        if match.start() > at:
            found.append(("text", named[at : match.start()]))
        found.append(("strong", match[1]) if match[1] is not None else ("code", match[2]))
        at = match.end()
    if at < len(named):
        found.append(("text", named[at:]))
    return tuple(found)


@dataclass(frozen=True)
class Member:
    """A member of the demo server, with their role names and the DMs the bot sent them."""

    id: str
    username: str
    roles: tuple[str, ...]
    manage_guild: bool
    dms: tuple[Post, ...] = ()


@dataclass(frozen=True)
class Server:
    """The demo server: members, channels (id, name), roles (id, name), posts per channel."""

    id: str
    name: str
    members: tuple[Member, ...]
    channels: tuple[tuple[str, str], ...]
    roles: tuple[tuple[str, str], ...]
    posts: dict[str, tuple[Post, ...]] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        """What a mention of each id shows: #channel, @role, @member."""
        found = {i: f"#{n}" for i, n in self.channels} | {i: f"@{n}" for i, n in self.roles}
        return found | {m.id: f"@{m.username}" for m in self.members}


@dataclass(frozen=True)
class Answer:
    """Our app's ephemeral answer to a command (`pending`: still "thinking")."""

    command: str
    username: str
    text: str
    links: tuple[Link, ...] = ()
    parts: tuple[tuple[str, str], ...] = ()
    pending: bool = False


def _get(settings: Settings, path: str) -> Any:
    base = sandbox_base(settings)
    try:
        status, found = sandbox_admin.call(base, path)
    except sandbox_admin.SandboxAdminError as exc:
        raise SandboxNotRunning(f"the sandbox at {base} is not answering ({exc})") from exc
    if status != 200:
        raise SandboxNotRunning(f"the sandbox answered {status} for {path}")
    return found


def post_of(message: Any, names: dict[str, str] | None = None) -> Post:
    """A Discord message object as text, parts and links (`names`: mentioned ids' names)."""
    if not isinstance(message, dict):
        return Post(str(message), (), parts_of(str(message), names))
    text = str(message.get("content") or "")
    links = [Link(u, u) for u in URL.findall(text)]
    for row in message.get("components") or []:
        for item in row.get("components") or [] if isinstance(row, dict) else []:
            url = item.get("url") if isinstance(item, dict) else None
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                links.append(Link(str(item.get("label") or url), url))
    return Post(text, tuple(links), parts_of(text, names))


def server(settings: Settings, with_messages: bool = True) -> Server:
    """The demo server as the sandbox holds it; SandboxNotRunning when it is not there."""
    found = _get(settings, f"discord/guilds/{DEMO_GUILD_ID}")
    role_names: dict[str, str] = found["roles"]
    names = {c["id"]: f"#{c['name']}" for c in found["channels"]}
    names |= {i: f"@{n}" for i, n in role_names.items()}
    names |= {m["id"]: f"@{m['username']}" for m in found["members"]}
    members = []
    for raw in found["members"]:
        dms: tuple[Post, ...] = ()
        if with_messages:
            user = _get(settings, f"discord/users/{raw['id']}")
            dms = tuple(post_of(m, names) for m in user["messages"])
        roles = tuple(role_names.get(r, r) for r in raw["roles"])
        members.append(Member(raw["id"], raw["username"], roles, raw["manage_guild"], dms))
    channels = tuple((c["id"], c["name"]) for c in found["channels"])
    posts: dict[str, tuple[Post, ...]] = {}
    for channel in found["channels"] if with_messages else []:
        if channel["type"] in ANNOUNCEMENT_TYPES:
            listed = _get(settings, f"discord/channels/{channel['id']}/messages")["messages"]
            posts[channel["id"]] = tuple(post_of(m, names) for m in listed)
    roles = tuple((i, n) for i, n in role_names.items() if i != DEMO_GUILD_ID)
    return Server(found["id"], found["name"], tuple(members), channels, roles, posts)


def checked_command(form: dict[str, str], known: Server) -> tuple[str, str, dict[str, str]]:
    """(member id, command, options) from the console's form, or SimulatorError."""
    user_id = form.get("member", "").strip()
    if user_id not in {m.id for m in known.members}:
        raise SimulatorError("Pick a member of the server to run the command as.", "member")
    command = form.get("command", "").strip().removeprefix("/")
    if command not in COMMANDS:
        raise SimulatorError("Pick one of /presave, /presave-setup or /stopalerts.", "command")
    options = {n: form.get(n, "").strip() for n in OPTIONS.get(command, ())}
    options = {n: v for n, v in options.items() if v}
    if len(options.get("campaign", "")) > MAX_CAMPAIGN:
        raise SimulatorError(f"Campaign: at most {MAX_CAMPAIGN} characters.", "campaign")
    for name, choices in (("channel", known.channels), ("role", known.roles)):
        if command == "presave-setup" and options.get(name) not in {i for i, _ in choices}:
            raise SimulatorError(f"/presave-setup needs a {name} of the server.", name)
    if command == "presave-setup" and not options.get("campaign"):
        raise SimulatorError("/presave-setup needs the campaign's slug.", "campaign")
    return user_id, command, options


def _answer_of(command: str, known: Server, user_id: str, found: dict[str, Any]) -> Answer:
    """The answer in the interaction response, or the edit filling in a deferred one."""
    username = next(m.username for m in known.members if m.id == user_id)
    filled = [m for m in found.get("webhook", []) if m.get("edit")]
    answer = found.get("answer") or {}
    if not filled and answer.get("type") == DEFERRED:
        thinking = "The bot is thinking…"
        return Answer(command, username, thinking, parts=(("text", thinking),), pending=True)
    post = post_of(filled[-1] if filled else answer.get("data") or {}, known.names())
    return Answer(command, username, post.text, post.links, post.parts)


def run(settings: Settings, form: dict[str, str]) -> Answer:
    """Run the form's command as the chosen member; a deferred answer is waited for (up to
    FILLED_IN_WITHIN_S) until the app fills it in through the interaction's webhook."""
    known = server(settings, with_messages=False)
    user_id, command, options = checked_command(form, known)
    body = {"guild_id": known.id, "user_id": user_id, "command": command, "options": options}
    try:
        return _run(settings, known, user_id, command, body)
    except SimulatorError:
        raise
    except (sandbox_admin.SandboxAdminError, AttributeError, TypeError, KeyError) as exc:
        raise SandboxNotRunning(f"the sandbox did not answer as expected ({exc})") from exc


def _run(
    settings: Settings, known: Server, user_id: str, command: str, body: dict[str, Any]
) -> Answer:
    base = sandbox_base(settings)
    status, found = sandbox_admin.call(base, "discord/interact", body)
    if status != 200:
        raise SimulatorError(f"The sandbox could not run it: {found.get('error')}")
    answer = _answer_of(command, known, user_id, found)
    deadline = time.monotonic() + FILLED_IN_WITHIN_S
    while answer.pending and time.monotonic() < deadline:
        time.sleep(0.2)
        webhook = _get(settings, f"discord/interactions/{found['token']}")["messages"]
        answer = _answer_of(command, known, user_id, found | {"webhook": webhook})
    return answer


def feed(settings: Settings) -> dict[str, Any]:
    """What the page polls: each member's roles and DMs, and each channel's posts."""
    known = server(settings)

    def posts(listed: tuple[Post, ...]) -> list[dict[str, Any]]:
        return [
            {
                "text": p.text,
                "parts": [list(part) for part in p.parts],
                "links": [{"label": k.label, "url": k.url} for k in p.links],
            }
            for p in listed
        ]

    return {
        "members": [
            {"id": m.id, "username": m.username, "roles": list(m.roles), "dms": posts(m.dms)}
            for m in known.members
        ],
        "channels": {channel_id: posts(p) for channel_id, p in known.posts.items()},
    }
