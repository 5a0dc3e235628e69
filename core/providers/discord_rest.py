"""Discord's REST API with the bot token: DMs, channel posts, roles, lookups, commands.

Workers need no gateway connection for any of this. Calls go through the process's pooled
connections (http_pool.py) with no retries but a lost connection's: a 429 surfaces as
DiscordRateLimited (its `retry_after`, and whether it is the global limit) for our shared
limiter to honour, never slept on here. Every answer Discord counts as an invalid request
(401, 403, and 429 outside the shared scope) is reported to `on_invalid`, so the caller can
keep far below Discord's 10,000 in 10 minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.providers import ProviderError, RateLimited, Rejected, Revoked, Unavailable
from core.providers.http_pool import Answer, AnswerLost, Origin, TransportError, shared
from core.settings import Settings

PROVIDER = "discord"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_CONTENT = 2000
USER_AGENT = "DiscordBot (https://github.com/presave/presave, 0.1)"
# Discord's JSON error codes with a fate of their own.
DMS_CLOSED = 50007  # "Cannot send messages to this user"
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_ROLE = 10011


class DiscordError(Rejected):
    """Discord refused the request; `status` and Discord's JSON `code` say why."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(PROVIDER, f"HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class DmsClosed(DiscordError):
    """50007: the user does not accept DMs from the bot. Never retry."""


class MissingPermissions(DiscordError):
    """50001 / 50013: the bot lacks a permission (or access) for this."""


class UnknownObject(DiscordError):
    """404 with 10003/10004/10007/10011...: the channel, server, member or role is gone."""


class Unauthorized(Revoked):
    """401: the bot token is wrong or was reset. Every call will fail the same way."""


class DiscordRateLimited(RateLimited):
    """429: wait `retry_after`; `is_global` when the bot's global limit was hit."""

    def __init__(self, retry_after: float, is_global: bool, scope: str) -> None:
        super().__init__(PROVIDER, retry_after, f"{scope} rate limit for {retry_after:g}s")
        self.is_global = is_global
        self.scope = scope


class OutcomeUnknown(Unavailable):
    """A message was sent and no answer came: it may have been posted. Resend only with the
    same nonce (Discord returns the first message for a few minutes), else look first."""


@dataclass(frozen=True)
class DiscordApi:
    """The REST API at DISCORD_API_BASE as our bot; `on_invalid` hears every invalid answer."""

    base: str
    token: str
    http: Origin
    on_invalid: Callable[[], None] = field(default=lambda: None)

    def with_invalid_hook(self, hook: Callable[[], None]) -> DiscordApi:
        """The same client, reporting invalid answers to `hook`."""
        return DiscordApi(self.base, self.token, self.http, hook)


class NotConfigured(ProviderError):
    """DISCORD_BOT_TOKEN is not set."""


def _origin(settings: Settings) -> Origin:
    return shared(settings.discord_api_base, READ_TIMEOUT, CONNECT_TIMEOUT)


def client(settings: Settings) -> DiscordApi:
    """The bot's REST client; NotConfigured without DISCORD_BOT_TOKEN."""
    if not settings.discord_bot_token:
        raise NotConfigured(PROVIDER, "DISCORD_BOT_TOKEN is not set")
    return DiscordApi(settings.discord_api_base, settings.discord_bot_token, _origin(settings))


def webhook_client(settings: Settings) -> DiscordApi:
    """A client for interaction webhooks, which need no bot token."""
    return DiscordApi(
        settings.discord_api_base, settings.discord_bot_token or "", _origin(settings)
    )


def _retry_after(answer: Answer, body: Mapping[str, Any]) -> float:
    raw = body.get("retry_after")
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= 0:
        return float(raw)
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "")))
    except ValueError:
        return 1.0


def _error(answer: Answer) -> ProviderError:
    """Discord's answer, as one of our exceptions."""
    body = answer.json()
    body = body if isinstance(body, dict) else {}
    status = answer.status
    if status == 429:
        scope = answer.headers.get("X-RateLimit-Scope", "")
        is_global = bool(body.get("global")) or answer.headers.get("X-RateLimit-Global") == "true"
        return DiscordRateLimited(_retry_after(answer, body), is_global, scope or "user")
    if status >= 500:
        return Unavailable(PROVIDER, f"HTTP {status}")
    code = body.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = str(body.get("message") or answer.text[:200])
    if status == 401:
        return Unauthorized(PROVIDER, f"the bot token was refused: {message}")
    if code == DMS_CLOSED:
        return DmsClosed(status, code, message)
    if code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        return MissingPermissions(status, code, message)
    if status == 404:
        return UnknownObject(status, code, message)
    return DiscordError(status, code, message)


def _counts_as_invalid(answer: Answer) -> bool:
    """What Discord counts toward its invalid-request ban (shared-scope 429s are exempt)."""
    if answer.status in (401, 403):
        return True
    return answer.status == 429 and answer.headers.get("X-RateLimit-Scope") != "shared"


def call(
    api: DiscordApi,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    reason: str | None = None,
    bot_auth: bool = True,
) -> Any:
    """One request; the JSON answer (None for 204), or one of our exceptions."""
    headers = {"User-Agent": USER_AGENT}
    if bot_auth:
        headers["Authorization"] = f"Bot {api.token}"
    if reason:
        headers["X-Audit-Log-Reason"] = reason[:512]
    try:
        answer = api.http.request(method, path, json_body=body, params=params, headers=headers)
    except AnswerLost as exc:
        if method == "POST":
            raise OutcomeUnknown(PROVIDER, str(exc)) from None
        raise Unavailable(PROVIDER, str(exc)) from None
    except TransportError as exc:
        raise Unavailable(PROVIDER, str(exc)) from None
    if _counts_as_invalid(answer):
        api.on_invalid()
    if answer.status >= 400:
        raise _error(answer)
    if answer.status == 204 or not answer.body:
        return None
    data = answer.json()
    if data is None:
        raise Unavailable(PROVIDER, f"HTTP {answer.status} without JSON")
    return data


def _id_of(data: Any, what: str) -> str:
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.isdigit():
        raise Unavailable(PROVIDER, f"{what} answer without an id")
    return value


def open_dm(api: DiscordApi, user_id: str) -> str:
    """The id of the DM channel with a user (Discord returns the same one each time)."""
    return _id_of(call(api, "POST", "/users/@me/channels", body={"recipient_id": user_id}), "DM")


def send_message(
    api: DiscordApi,
    channel_id: str,
    content: str,
    *,
    nonce: str,
    mention_roles: tuple[str, ...] = (),
    components: list[dict[str, Any]] | None = None,
) -> str:
    """Post a message; returns its id. The nonce is enforced, so sending again with the same
    one within a few minutes returns the first message instead of posting twice. Only the
    roles given may be pinged; no user, @everyone or @here ever is."""
    if not content or len(content) > MAX_CONTENT:
        raise ValueError(f"a Discord message needs 1 to {MAX_CONTENT} characters")
    body: dict[str, Any] = {
        "content": content,
        "nonce": nonce[:25],
        "enforce_nonce": True,
        "allowed_mentions": {"parse": [], "roles": list(mention_roles)},
    }
    if components:
        body["components"] = components
    return _id_of(call(api, "POST", f"/channels/{channel_id}/messages", body=body), "message")


DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01T00:00:00Z


def snowflake_at(when: datetime) -> str:
    """The smallest snowflake of an instant: `after` it means "sent at or after `when`"."""
    millis = max(0, int(when.timestamp() * 1000) - DISCORD_EPOCH_MS)
    return str(millis << 22)


def find_own_message(api: DiscordApi, channel_id: str, since: datetime, content: str) -> str | None:
    """The id of this very message (our bot its author, `content` its text) posted in the
    channel since `since`, if Discord has it: how a send that got no answer is settled.
    Another message of ours there (another campaign's, an earlier countdown) is not it, and
    no nonce can tell: Discord returns nonces only when a message is created, never on reads.
    One request once `bot_user_id_known`, else two."""
    params = {"after": snowflake_at(since), "limit": "100"}
    found = call(api, "GET", f"/channels/{channel_id}/messages", params=params)
    me, wanted = bot_user_id(api), content.strip()  # Discord trims what it stores
    for message in found if isinstance(found, list) else []:
        author = message.get("author") if isinstance(message, dict) else None
        mine = isinstance(author, dict) and str(author.get("id")) == me
        if mine and str(message.get("content", "")).strip() == wanted:
            return str(message.get("id"))
    return None


def add_role(api: DiscordApi, guild_id: str, user_id: str, role_id: str, reason: str) -> None:
    """Give a member a role (idempotent: giving it again changes nothing)."""
    call(api, "PUT", f"/guilds/{guild_id}/members/{user_id}/roles/{role_id}", reason=reason)


_bot_ids: dict[tuple[str, str], str] = {}


def bot_user_id(api: DiscordApi) -> str:
    """Our bot's own user id (asked once per process, API base and token)."""
    key = (api.base, api.token)
    found = _bot_ids.get(key)
    if found is None:
        found = _bot_ids[key] = _id_of(call(api, "GET", "/users/@me"), "user")
    return found


def bot_user_id_known(api: DiscordApi) -> bool:
    """Whether `bot_user_id` answers without a request."""
    return (api.base, api.token) in _bot_ids


def get(api: DiscordApi, path: str) -> Any:
    """A lookup (a guild, its roles, a member, a channel)."""
    return call(api, "GET", path)


def edit_original(api: DiscordApi, application_id: str, token: str, data: dict[str, Any]) -> None:
    """Fill in a deferred interaction answer (interaction webhooks take no bot token)."""
    path = f"/webhooks/{application_id}/{token}/messages/@original"
    call(api, "PATCH", path, body=data, bot_auth=False)


def put_commands(api: DiscordApi, application_id: str, commands: list[dict[str, Any]]) -> Any:
    """Replace the application's global commands with these."""
    return call(api, "PUT", f"/applications/{application_id}/commands", body=commands)
