"""The Discord stand-in answers as Discord documents it: objects, error codes, nonces,
mentions, permissions, the global limit, route buckets and the invalid-request ban."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox import SANDBOX_DISCORD_APPLICATION_ID as APP
from sandbox import SANDBOX_DISCORD_BOT_TOKEN as TOKEN
from sandbox import SANDBOX_DISCORD_BOT_USER_ID as BOT
from sandbox.server import serve

GUILD, CHANNEL, ROLE = "111111111111111111", "222222222222222222", "333333333333333333"
BOT_ROLE, FAN, OWNER = "444444444444444444", "555555555555555555", "999999999999999999"
POST = 1024 | 2048 | 65536  # view, send, read history


class Discord:
    """A running stand-in and a session speaking to it as the bot."""

    def __init__(self, base: str) -> None:
        self.base, self.http = base, requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bot {TOKEN}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.base}/discord/api/v10{path}", timeout=10, **kwargs)

    def admin(self, path: str, body: Any = None) -> Any:
        url = f"{self.base}/_sandbox/{path}"
        answer = self.http.get(url) if body is None else self.http.post(url, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def seed(self, everyone: int = POST, bot: int = 1 << 28, **channel: Any) -> None:
        roles = [
            {"id": GUILD, "permissions": everyone},
            {"id": BOT_ROLE, "name": "bot", "position": 5, "permissions": bot},
            {"id": ROLE, "name": "Pre-saver", "position": 2},
        ]
        self.admin("discord/guilds", {
            "id": GUILD, "owner_id": OWNER, "roles": roles, "bot_roles": [BOT_ROLE],
            "channels": [{"id": CHANNEL, "name": "drops", **channel}], "members": [{"id": FAN}],
        })  # fmt: skip

    def send(self, channel: str, content: str, **extra: Any) -> requests.Response:
        return self.api("POST", f"/channels/{channel}/messages", json={"content": content, **extra})


@pytest.fixture
def discord() -> Iterator[Discord]:
    server, _thread, base = serve(host="127.0.0.1", port=0)
    yield Discord(base)
    server.shutdown()


def test_dm_channel_is_stable_and_messages_are_stored(discord: Discord) -> None:
    first = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()
    again = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()
    assert first["id"] == again["id"] and first["type"] == 1
    assert first["recipients"][0]["id"] == FAN
    sent = discord.send(first["id"], "it's out", nonce="d1").json()
    assert sent["author"]["id"] == BOT and sent["nonce"] == "d1"
    listed = discord.api("GET", f"/channels/{first['id']}/messages").json()
    assert [m["id"] for m in listed] == [sent["id"]] and "nonce" not in listed[0]
    assert discord.admin(f"discord/users/{FAN}")["dms"] == ["it's out"]
    me = discord.api("GET", "/users/@me").json()
    assert me["id"] == BOT and me["bot"] is True


def test_an_enforced_nonce_returns_the_first_message(discord: Discord) -> None:
    channel = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()["id"]
    one = discord.send(channel, "hello", nonce="d7", enforce_nonce=True).json()
    two = discord.send(channel, "hello", nonce="d7", enforce_nonce=True).json()
    assert one["id"] == two["id"]
    three = discord.send(channel, "hello", nonce="d7").json()  # not enforced: a new message
    assert three["id"] != one["id"]
    assert len(discord.admin(f"discord/users/{FAN}")["dms"]) == 2


def test_closed_dms_unknown_channels_and_bad_bodies(discord: Discord) -> None:
    discord.admin("config", {"discord_dms_closed": [FAN]})
    channel = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()["id"]
    closed = discord.send(channel, "hi")
    assert closed.status_code == 403 and closed.json() == {
        "code": 50007, "message": "Cannot send messages to this user",
    }  # fmt: skip
    assert discord.send("123456789012345678", "hi").json()["code"] == 10003
    assert discord.send(channel, "").json()["code"] == 50006
    assert discord.send(channel, "x" * 2001).json()["code"] == 50035
    bad = discord.api("POST", "/users/@me/channels", json={"recipient_id": "nope"})
    assert bad.status_code == 400 and bad.json()["code"] == 50035
    anonymous = requests.post(f"{discord.base}/discord/api/v10/users/@me/channels", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 0


def test_allowed_mentions_limit_pings_to_the_role_given(discord: Discord) -> None:
    discord.seed(everyone=POST | (1 << 17))  # the bot may mention any role here
    text = f"<@&{ROLE}> <@&{BOT_ROLE}> out now"
    only = {"parse": [], "roles": [ROLE]}
    discord.send(CHANNEL, text, allowed_mentions=only)
    discord.send(CHANNEL, text, allowed_mentions={"parse": []})
    stored = discord.admin(f"discord/channels/{CHANNEL}/messages")["messages"]
    assert [m["pinged_roles"] for m in stored] == [[ROLE], []]


def test_permissions_follow_discords_order(discord: Discord) -> None:
    hidden = {"id": GUILD, "type": 0, "allow": "0", "deny": str(1024)}
    discord.seed(permission_overwrites=[hidden])
    assert discord.send(CHANNEL, "hi").json()["code"] == 50001
    role_allows = {"id": BOT_ROLE, "type": 0, "allow": str(1024), "deny": "0"}
    muted = {"id": BOT, "type": 1, "allow": "0", "deny": str(2048)}
    discord.seed(permission_overwrites=[hidden, role_allows, muted])
    assert discord.send(CHANNEL, "hi").json()["code"] == 50013
    discord.seed(permission_overwrites=[hidden, role_allows])
    assert discord.send(CHANNEL, "hi").status_code == 200
    discord.seed(everyone=0, bot=1 << 3, permission_overwrites=[hidden])  # administrator
    assert discord.send(CHANNEL, "hi").status_code == 200


def test_role_grants_need_manage_roles_above_the_role(discord: Discord) -> None:
    path = f"/guilds/{GUILD}/members/{FAN}/roles/{ROLE}"
    discord.seed()
    assert discord.api("PUT", path).status_code == 204
    assert discord.admin(f"discord/users/{FAN}")["roles"] == {GUILD: [ROLE]}
    assert discord.api("PUT", path).status_code == 204  # idempotent
    gone = discord.api("PUT", f"/guilds/{GUILD}/members/{OWNER}/roles/{ROLE}")
    assert gone.json()["code"] == 10007
    assert discord.api("PUT", f"/guilds/{GUILD}/members/{FAN}/roles/{FAN}").json()["code"] == 10011
    assert discord.api("PUT", f"/guilds/{GUILD}/members/{FAN}/roles/{BOT_ROLE}").status_code == 403
    discord.seed(bot=0)
    assert discord.api("PUT", path).json() == {"code": 50013, "message": "Missing Permissions"}
    roles = discord.api("GET", f"/guilds/{GUILD}/roles").json()
    assert {r["id"]: r["position"] for r in roles} == {GUILD: 0, BOT_ROLE: 5, ROLE: 2}
    member = discord.api("GET", f"/guilds/{GUILD}/members/{BOT}").json()
    assert member["roles"] == [BOT_ROLE]


def test_the_global_limit_counts_arrivals_and_answers_like_discord(discord: Discord) -> None:
    discord.admin("config", {"discord_global_rps": 5})
    answers = [discord.api("GET", "/users/@me") for _ in range(8)]
    limited = [a for a in answers if a.status_code == 429]
    assert len(limited) == 3
    body = limited[0].json()
    assert body["global"] is True and body["retry_after"] > 0
    assert limited[0].headers["X-RateLimit-Scope"] == "global"
    assert limited[0].headers["X-RateLimit-Global"] == "true"
    arrivals = discord.admin("discord/arrivals")
    assert arrivals["count"] == 8 and arrivals["max_in_any_1s"] == 8
    assert arrivals["global_429"] == 3 and arrivals["invalid_requests"] == 3


def test_a_channel_bucket_answers_a_route_429(discord: Discord) -> None:
    discord.seed()
    discord.admin("config", {"discord_channel_messages_per_5s": 2})
    codes = [discord.send(CHANNEL, f"m{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    refused = discord.send(CHANNEL, "again")
    assert refused.json()["global"] is False and refused.headers["X-RateLimit-Scope"] == "user"


def test_too_many_invalid_requests_ban_the_bot(discord: Discord) -> None:
    discord.admin("config", {"discord_invalid_limit": 3, "discord_dms_closed": [FAN]})
    channel = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()["id"]
    assert [discord.send(channel, "hi").status_code for _ in range(3)] == [403, 403, 403]
    banned = discord.api("GET", "/users/@me")
    assert banned.status_code == 429 and banned.text == "error code: 1015"
    assert discord.admin("discord/arrivals")["banned_requests"] == 1


def test_faults_and_interaction_webhooks(discord: Discord) -> None:
    channel = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()["id"]
    discord.admin("faults", {"kind": "429", "service": "discord", "count": 1, "retry_after_s": 2})
    discord.admin("faults", {"kind": "503", "service": "discord", "endpoint": "message_create"})
    limited = discord.send(channel, "hi")
    assert limited.status_code == 429 and limited.json()["retry_after"] == 2
    assert discord.send(channel, "hi").status_code == 503
    hook = f"{discord.base}/discord/api/v10/webhooks/{APP}/tok-1/messages/@original"
    edited = requests.patch(hook, json={"content": "done", "flags": 64}, timeout=5)
    assert edited.status_code == 200
    assert discord.admin("discord/interactions/tok-1")["messages"][0]["content"] == "done"
    wrong = requests.patch(hook.replace(APP, "1" * 18), json={"content": "x"}, timeout=5)
    assert wrong.status_code == 404 and wrong.json()["code"] == 10015


def test_command_overwrite_is_validated(discord: Discord) -> None:
    good = [{"name": "presave", "description": "Get your link", "type": 1}]
    stored = discord.api("PUT", f"/applications/{APP}/commands", json=good).json()
    assert stored[0]["name"] == "presave" and stored[0]["application_id"] == APP
    assert discord.api("GET", f"/applications/{APP}/commands").json() == stored
    bad = [{"name": "Pre Save", "description": "x"}]
    refused = discord.api("PUT", f"/applications/{APP}/commands", json=bad)
    assert refused.status_code == 400 and refused.json()["code"] == 50035
