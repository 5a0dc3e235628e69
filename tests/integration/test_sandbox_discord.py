"""The Discord stand-in answers as Discord documents it: objects, error codes, nonces,
mentions, permissions, the global limit, route buckets, the invalid-request ban, faults,
interaction webhooks, commands and the admin API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox import SANDBOX_DISCORD_APPLICATION_ID as APP
from sandbox import SANDBOX_DISCORD_BOT_TOKEN as TOKEN
from sandbox import SANDBOX_DISCORD_BOT_USER_ID as BOT
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer, serve

GUILD, CHANNEL, ROLE = "111111111111111111", "222222222222222222", "333333333333333333"
BOT_ROLE, FAN, OWNER = "444444444444444444", "555555555555555555", "999999999999999999"
LOUD, MANAGED = "666666666666666666", "777777777777777777"
VIEW, SEND, HISTORY, MENTION_ALL = 1 << 10, 1 << 11, 1 << 16, 1 << 17
ADMINISTRATOR, MANAGE_ROLES = 1 << 3, 1 << 28
POST = VIEW | SEND | HISTORY


class Discord:
    """A running stand-in and a session speaking to it as the bot."""

    def __init__(self, server: SandboxServer, base: str) -> None:
        self.server, self.base, self.http = server, base, requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bot {TOKEN}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.base}/discord/api/v10{path}", timeout=10, **kwargs)

    def admin(self, path: str, body: Any = None, status: int = 200) -> Any:
        url = f"{self.base}/_sandbox/{path}"
        answer = self.http.get(url) if body is None else self.http.post(url, json=body)
        assert answer.status_code == status, answer.text
        return answer.json()

    def seed(self, everyone: int = POST, bot: int = MANAGE_ROLES, **extra: Any) -> None:
        channel = {"id": CHANNEL, "name": "drops", **extra.pop("channel", {})}
        roles = [
            {"id": GUILD, "permissions": everyone},
            {"id": BOT_ROLE, "name": "bot", "position": 5, "permissions": bot},
            {"id": ROLE, "name": "Pre-saver", "position": 2},
            {"id": LOUD, "name": "Loud", "position": 3, "mentionable": True},
            {"id": MANAGED, "name": "Integration", "position": 1, "managed": True},
        ]
        self.admin("discord/guilds", {
            "id": GUILD, "name": "Label", "owner_id": OWNER, "roles": roles,
            "bot_roles": [BOT_ROLE], "channels": [channel],
            "members": [{"id": FAN, "username": "fan_one"}], **extra,
        })  # fmt: skip

    def dm(self, user: str = FAN) -> str:
        channel: str = self.api("POST", "/users/@me/channels", json={"recipient_id": user}).json()[
            "id"
        ]
        return channel

    def send(self, channel: str, content: str, **extra: Any) -> requests.Response:
        return self.api("POST", f"/channels/{channel}/messages", json={"content": content, **extra})

    def role(self, method: str, user: str = FAN, role: str = ROLE) -> requests.Response:
        return self.api(method, f"/guilds/{GUILD}/members/{user}/roles/{role}")


@pytest.fixture
def discord() -> Iterator[Discord]:
    server, _thread, base = serve(host="127.0.0.1", port=0, discord_channel_messages_per_5s=100)
    running = Discord(server, base)
    yield running
    running.http.close()
    server.shutdown()


def error(answer: requests.Response) -> tuple[int, int]:
    """(HTTP status, Discord's JSON code)."""
    return answer.status_code, answer.json()["code"]


def test_the_bot_user_unknown_paths_and_the_unprefixed_mount(discord: Discord) -> None:
    me = discord.api("GET", "/users/@me").json()
    assert me == {"id": BOT, "username": "presave-sandbox", "discriminator": "0",
                  "global_name": None, "bot": True}  # fmt: skip
    plain = discord.http.get(f"{discord.base}/api/v10/users/@me", timeout=5)
    assert plain.json()["id"] == BOT
    missing = discord.api("GET", "/nope")
    assert missing.status_code == 404 and missing.json() == {"message": "404: Not Found", "code": 0}
    assert discord.api("DELETE", "/users/@me").json() == {
        "message": "405: Method Not Allowed", "code": 0,
    }  # fmt: skip


def test_every_endpoint_needs_a_bot_token(discord: Discord) -> None:
    bare = requests.Session()
    bare.trust_env = False
    url = f"{discord.base}/discord/api/v10/users/@me"
    for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Bot "}):
        answer = bare.get(url, headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.json() == {"message": "401: Unauthorized", "code": 0}
    assert bare.get(url, headers={"Authorization": "Bot other"}, timeout=5).status_code == 200
    discord.admin("config", {"accept_any_bot": False})
    assert bare.get(url, headers={"Authorization": "Bot other"}, timeout=5).status_code == 401
    assert discord.api("GET", "/users/@me").status_code == 200
    discord.admin("config", {"discord_bot_user_id": "1300000000000000009"})
    assert discord.api("GET", "/users/@me").json()["id"] == "1300000000000000009"
    refused = discord.http.post(
        f"{discord.base}/_sandbox/config", json={"discord_bot_user_id": "x"}
    )
    assert refused.status_code == 400


def test_dm_channels_are_stable_and_ids_follow_the_sandbox_clock(discord: Discord) -> None:
    discord.seed()
    first = discord.api("POST", "/users/@me/channels", json={"recipient_id": FAN}).json()
    again = discord.api("POST", "/users/@me/channels", json={"recipient_id": int(FAN)}).json()
    assert first["id"] == again["id"] and first["type"] == 1
    assert first["recipients"][0]["username"] == "fan_one" and first["last_message_id"] is None
    stranger = discord.api("POST", "/users/@me/channels", json={"recipient_id": OWNER}).json()
    assert stranger["recipients"][0] == {"id": OWNER, "username": "user999999",
                                         "discriminator": "0", "global_name": None}  # fmt: skip
    one = discord.send(first["id"], "one").json()
    discord.admin("clock", {"advance_s": 86400})
    two = discord.send(first["id"], "two").json()
    assert 17 <= len(one["id"]) <= 20 and int(two["id"]) > int(one["id"])
    gap_ms = (int(two["id"]) >> 22) - (int(one["id"]) >> 22)
    assert 86_400_000 <= gap_ms < 86_460_000, "ids are made from the sandbox clock"
    assert two["timestamp"][:10] > one["timestamp"][:10]
    assert discord.api("GET", f"/channels/{first['id']}").json()["last_message_id"] == two["id"]
    bad = discord.api("POST", "/users/@me/channels", json={"recipient_id": "nope"})
    assert error(bad) == (400, 50035) and "recipient_id" in bad.json()["errors"]


def test_a_message_is_checked_before_it_is_stored(discord: Discord) -> None:
    channel = discord.dm()
    sent = discord.send(channel, "x" * 2000, nonce=12345)
    assert sent.status_code == 200 and sent.json()["nonce"] == 12345
    assert sent.json()["author"]["id"] == BOT and sent.json()["type"] == 0
    long = discord.send(channel, "x" * 2001)
    assert error(long) == (400, 50035)
    assert long.json()["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert error(discord.send(channel, "")) == (400, 50006)
    assert discord.send(channel, "").json()["message"] == "Cannot send an empty message"
    assert discord.send(channel, "", components=[{"type": 1}]).status_code == 200
    assert error(discord.send(channel, "hi", nonce="n" * 26)) == (400, 50035)
    assert error(discord.send(channel, "hi", nonce=1.5)) == (400, 50035)
    raw = discord.api("POST", f"/channels/{channel}/messages", data=b"{nope")
    assert error(raw) == (400, 50109)
    assert error(discord.send("123456789012345678", "hi")) == (404, 10003)
    assert discord.send("not-a-snowflake", "hi").json() == {
        "code": 10003,
        "message": "Unknown Channel",
    }
    assert len(discord.admin(f"discord/users/{FAN}")["dms"]) == 2


def test_an_enforced_nonce_returns_the_first_message_for_the_window(discord: Discord) -> None:
    channel = discord.dm()
    one = discord.send(channel, "hello", nonce="d7", enforce_nonce=True).json()
    two = discord.send(channel, "changed", nonce="d7", enforce_nonce=True).json()
    assert two["id"] == one["id"] and two["content"] == "hello" and two["nonce"] == "d7"
    assert len(discord.admin(f"discord/users/{FAN}")["dms"]) == 1, "nothing created"
    three = discord.send(channel, "hello", nonce="d7").json()  # not enforced: a new message
    assert three["id"] != one["id"]
    listed = discord.api("GET", f"/channels/{channel}/messages").json()
    assert [m["id"] for m in listed] == [three["id"], one["id"]]
    assert all("nonce" not in m for m in listed), "Discord shows the nonce only on create"
    stored = discord.admin(f"discord/channels/{channel}/messages")["messages"]
    assert [m["nonce"] for m in stored] == ["d7", "d7"]
    discord.admin("clock", {"advance_s": 301})
    four = discord.send(channel, "hello", nonce="d7", enforce_nonce=True).json()
    assert four["id"] not in (one["id"], three["id"]), "the window is over"


def test_closed_dms_answer_50007(discord: Discord) -> None:
    discord.admin("config", {"discord_dms_closed": [FAN]})
    closed = discord.send(discord.dm(), "hi")
    assert closed.status_code == 403
    assert closed.json() == {"code": 50007, "message": "Cannot send messages to this user"}
    assert discord.send(discord.dm(OWNER), "hi").status_code == 200
    assert discord.admin(f"discord/users/{FAN}")["dms"] == []


def test_allowed_mentions_decide_which_roles_are_pinged(discord: Discord) -> None:
    discord.seed()  # ROLE is not mentionable, LOUD is; the bot may not mention everyone
    text = f"@everyone <@&{ROLE}> <@&{LOUD}> out now"
    assert discord.send(CHANNEL, text).json()["mention_roles"] == [LOUD]
    discord.seed(everyone=POST | MENTION_ALL)
    assert discord.send(CHANNEL, text, allowed_mentions={"parse": [], "roles": [ROLE]}).json()[
        "mention_roles"
    ] == [ROLE]
    discord.send(CHANNEL, text, allowed_mentions={"parse": []})
    discord.send(CHANNEL, text, allowed_mentions={"parse": ["everyone"]})
    discord.send(CHANNEL, text)
    stored = discord.admin(f"discord/channels/{CHANNEL}/messages")["messages"]
    assert [m["pinged_roles"] for m in stored] == [[LOUD], [ROLE], [], [], [ROLE, LOUD]]
    assert [m["mention_everyone"] for m in stored] == [False, False, False, True, True]
    both = {"parse": ["roles"], "roles": [ROLE]}
    assert error(discord.send(CHANNEL, text, allowed_mentions=both)) == (400, 50035)


def test_permissions_follow_discords_order(discord: Discord) -> None:
    hidden = {"id": GUILD, "type": 0, "allow": "0", "deny": str(VIEW)}
    role_allows = {"id": BOT_ROLE, "type": 0, "allow": str(VIEW), "deny": "0"}
    muted = {"id": BOT, "type": 1, "allow": "0", "deny": str(SEND)}
    discord.seed(channel={"permission_overwrites": [hidden]})
    assert error(discord.send(CHANNEL, "hi")) == (403, 50001)
    assert error(discord.api("GET", f"/channels/{CHANNEL}")) == (403, 50001)
    discord.seed(channel={"permission_overwrites": [hidden, role_allows, muted]})
    assert discord.send(CHANNEL, "hi").json() == {"code": 50013, "message": "Missing Permissions"}
    discord.seed(channel={"permission_overwrites": [hidden, role_allows]})
    assert discord.send(CHANNEL, "hi").status_code == 200
    seen = discord.api("GET", f"/channels/{CHANNEL}").json()
    assert seen["permission_overwrites"] == [hidden, role_allows] and seen["type"] == 0
    discord.seed(everyone=0, bot=ADMINISTRATOR, channel={"permission_overwrites": [hidden]})
    assert discord.send(CHANNEL, "admin").status_code == 200
    discord.seed(everyone=0, bot=0, owner_id=BOT, channel={"permission_overwrites": [hidden]})
    assert discord.send(CHANNEL, "owner").status_code == 200
    listed = discord.api("GET", f"/channels/{CHANNEL}/messages").json()
    assert "owner" in [m["content"] for m in listed]  # the owner reads the channel's history
    discord.seed(everyone=VIEW | SEND)  # no Read Message History: documented as no messages
    assert discord.api("GET", f"/channels/{CHANNEL}/messages").json() == []
    discord.seed(bot_member=False)
    assert error(discord.send(CHANNEL, "gone")) == (403, 50001)


def test_role_grants_need_manage_roles_above_the_role(discord: Discord) -> None:
    discord.seed()
    assert discord.role("PUT").status_code == 204
    assert discord.role("PUT").status_code == 204  # idempotent
    assert discord.admin(f"discord/users/{FAN}")["roles"] == {GUILD: [ROLE]}
    assert discord.api("GET", f"/guilds/{GUILD}/members/{FAN}").json()["roles"] == [ROLE]
    assert error(discord.role("PUT", user=OWNER)) == (404, 10007)
    assert error(discord.role("PUT", user="nope")) == (404, 10013)
    assert discord.role("PUT", role=FAN).json() == {"code": 10011, "message": "Unknown Role"}
    for role in (BOT_ROLE, MANAGED, GUILD):  # not below the bot's top role, managed, @everyone
        assert error(discord.role("PUT", role=role)) == (403, 50013)
    assert discord.role("DELETE").status_code == 204
    assert discord.admin(f"discord/users/{FAN}")["roles"] == {GUILD: []}
    discord.seed(bot=0)
    assert error(discord.role("PUT")) == (403, 50013)
    discord.seed(bot=ADMINISTRATOR)
    assert discord.role("PUT").status_code == 204
    discord.seed(bot=0, owner_id=BOT)  # the owner is above every role
    assert discord.role("PUT", role=BOT_ROLE).status_code == 204


def test_server_lookups(discord: Discord) -> None:
    discord.seed()
    guild = discord.api("GET", f"/guilds/{GUILD}").json()
    assert (guild["id"], guild["name"], guild["owner_id"]) == (GUILD, "Label", OWNER)
    roles = discord.api("GET", f"/guilds/{GUILD}/roles").json()
    assert [(r["id"], r["position"]) for r in roles] == [
        (GUILD, 0), (MANAGED, 1), (ROLE, 2), (LOUD, 3), (BOT_ROLE, 5),
    ]  # fmt: skip
    assert roles[-1] == {"id": BOT_ROLE, "name": "bot", "position": 5,
                         "permissions": str(MANAGE_ROLES), "managed": False,
                         "mentionable": False, "color": 0, "hoist": False}  # fmt: skip
    member = discord.api("GET", f"/guilds/{GUILD}/members/{FAN}").json()
    assert member["user"] == {"id": FAN, "username": "fan_one", "discriminator": "0",
                              "global_name": None} and member["joined_at"]  # fmt: skip
    assert discord.api("GET", f"/guilds/{GUILD}/members/{BOT}").json()["roles"] == [BOT_ROLE]
    assert error(discord.api("GET", f"/guilds/{GUILD}/members/{OWNER}")) == (404, 10007)
    assert error(discord.api("GET", "/guilds/123456789012345678")) == (404, 10004)
    assert error(discord.api("GET", "/guilds/abc/roles")) == (404, 10004)
    discord.seed(bot_member=False)
    assert discord.api("GET", f"/guilds/{GUILD}").json() == {
        "code": 50001,
        "message": "Missing Access",
    }


def test_reading_a_channel_pages_by_id(discord: Discord) -> None:
    discord.seed()
    ids = [discord.send(CHANNEL, f"m{n}").json()["id"] for n in range(8)]

    def listed(**params: str) -> list[str]:
        answer = discord.api("GET", f"/channels/{CHANNEL}/messages", params=params)
        assert answer.status_code == 200, answer.text
        return [m["id"] for m in answer.json()]

    assert listed() == ids[::-1]
    assert listed(limit="3") == ids[:4:-1]
    assert listed(before=ids[3], limit="2") == [ids[2], ids[1]]
    assert listed(after=ids[3], limit="2") == [ids[5], ids[4]]
    assert listed(after="0", limit="1") == [ids[0]]
    assert listed(around=ids[4], limit="3") == [ids[5], ids[4], ids[3]]
    for params in ({"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"before": "abc"}):
        assert error(discord.api("GET", f"/channels/{CHANNEL}/messages", params=params)) == (
            400, 50035,
        )  # fmt: skip
    assert error(discord.api("GET", "/channels/123456789012345678/messages")) == (404, 10003)


def test_the_global_limit_counts_arrivals_and_answers_like_discord(discord: Discord) -> None:
    discord.admin("config", {"discord_global_rps": 5})
    hook = f"{discord.base}/discord/api/v10/webhooks/{APP}/tok-g"
    answers = [discord.api("GET", "/users/@me") for _ in range(8)]
    exempt = [requests.post(hook, json={"content": "x"}, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert [a.status_code for a in exempt] == [200] * 3, "interaction webhooks are exempt"
    limited = answers[-1]
    body = limited.json()
    assert body["message"] == "You are being rate limited." and body["global"] is True
    assert 0 < body["retry_after"] <= 1.0
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Global"] == "true"
    assert limited.headers["X-RateLimit-Scope"] == "global"
    arrivals = discord.admin("discord/arrivals")
    assert arrivals["count"] == 8 and arrivals["max_in_any_1s"] == 8
    assert arrivals["global_429"] == 3 and arrivals["invalid_requests"] == 3
    stats = discord.admin("stats")["discord"]
    assert stats["rate_limited"] == 3 and stats["by_status"]["429"] == 3
    time.sleep(1.05)
    assert discord.api("GET", "/users/@me").status_code == 200


def test_a_channel_bucket_answers_a_route_429(discord: Discord) -> None:
    discord.seed()
    assert SandboxConfig().discord_channel_messages_per_5s == 5, "the default"
    discord.admin("config", {"discord_channel_messages_per_5s": 2})
    answers = [discord.send(CHANNEL, f"m{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers.get("X-RateLimit-Remaining") for a in answers] == ["1", "0", "0"]
    refused = answers[2]
    assert refused.json()["global"] is False and 4 < refused.json()["retry_after"] <= 5
    headers = refused.headers
    assert headers["X-RateLimit-Scope"] == "user" and headers["X-RateLimit-Limit"] == "2"
    assert headers["Retry-After"] == "5" and 4 < float(headers["X-RateLimit-Reset-After"]) <= 5
    assert headers["X-RateLimit-Bucket"] == answers[0].headers["X-RateLimit-Bucket"]
    assert float(headers["X-RateLimit-Reset"]) > time.time()
    assert discord.send(discord.dm(), "another channel").status_code == 200
    counters = discord.admin("stats")["discord"]
    assert counters["route_429"] == 1 and counters["global_429"] == 0


def test_too_many_invalid_requests_ban_the_bot(discord: Discord) -> None:
    discord.admin("config", {"discord_invalid_limit": 3, "discord_ban_s": 0.5,
                             "discord_dms_closed": [FAN]})  # fmt: skip
    channel = discord.dm()
    assert discord.api("GET", "/guilds/123456789012345678").status_code == 404  # not invalid
    assert [discord.send(channel, "hi").status_code for _ in range(2)] == [403, 403]
    stats = discord.admin("stats")["discord"]
    assert stats["invalid_requests"] == 2 and stats["banned"] is False
    assert discord.send(channel, "hi").status_code == 403
    banned = discord.api("GET", "/users/@me")
    assert banned.status_code == 429 and banned.text == "error code: 1015"
    assert banned.headers["Content-Type"].startswith("text/plain")
    stats = discord.admin("stats")["discord"]
    assert stats["banned"] is True and stats["banned_requests"] == 1
    time.sleep(0.6)
    assert discord.api("GET", "/users/@me").status_code == 200
    assert discord.admin("stats")["discord"]["banned"] is False


def test_faults_answer_in_discords_shape(discord: Discord) -> None:
    discord.seed()
    channel = discord.dm()

    def add(**rule: Any) -> None:
        discord.admin("faults", {"service": "discord", **rule})

    add(kind="429", endpoint="message_create", count=1, retry_after_s=2)
    add(kind="503", endpoint="message_create", count=1)
    add(kind="dms_closed", endpoint="message_create", subject=channel, count=1)
    add(kind="403", endpoint="member_role_put", subject=FAN, count=1)
    add(kind="401", endpoint="me", count=1)
    limited = discord.send(channel, "hi")
    assert limited.status_code == 429 and limited.json()["retry_after"] == 2
    assert limited.json()["global"] is False and limited.headers["X-RateLimit-Scope"] == "user"
    assert limited.headers["Retry-After"] == "2"
    assert error(discord.send(channel, "hi")) == (503, 0)
    assert error(discord.send(channel, "hi")) == (403, 50007)
    assert discord.send(channel, "hi").status_code == 200
    assert error(discord.role("PUT", user=OWNER)) == (404, 10007), "another subject"
    assert error(discord.role("PUT")) == (403, 50013)
    assert discord.role("PUT").status_code == 204
    assert discord.api("GET", "/users/@me").json() == {"message": "401: Unauthorized", "code": 0}
    discord.admin("config", {"timeout_s": 0.1})
    add(kind="timeout", endpoint="guild_get", count=1)
    assert discord.api("GET", f"/guilds/{GUILD}").status_code == 504
    assert discord.api("GET", f"/guilds/{GUILD}").status_code == 200
    assert discord.admin("faults", None)["faults"] == []


def test_interaction_webhooks_store_edits_and_follow_ups(discord: Discord) -> None:
    bare = requests.Session()
    bare.trust_env = False
    hook = f"{discord.base}/discord/api/v10/webhooks/{APP}/tok-1"
    edited = bare.patch(f"{hook}/messages/@original", json={"content": "done", "flags": 64})
    assert edited.status_code == 200 and edited.json()["content"] == "done"
    again = bare.patch(f"{hook}/messages/@original", json={"components": [{"type": 1}]})
    assert again.json()["id"] == edited.json()["id"] and again.json()["content"] == "done"
    follow = bare.post(hook, json={"content": "and one more"})
    assert follow.status_code == 200 and follow.json()["id"] != edited.json()["id"]
    assert error(bare.post(hook, json={"content": ""})) == (400, 50006)
    stored = discord.admin("discord/interactions/tok-1")["messages"]
    assert [(m["content"], m["edit"], m["flags"]) for m in stored] == [
        ("done", True, 64), ("done", True, 64), ("and one more", False, 0),
    ]  # fmt: skip
    wrong = bare.patch(f"{hook.replace(APP, '1' * 18)}/messages/@original", json={"content": "x"})
    assert wrong.status_code == 404 and wrong.json() == {
        "code": 10015,
        "message": "Unknown Webhook",
    }
    assert discord.admin("discord/arrivals")["count"] == 0, "not counted as bot requests"


def test_command_overwrite_is_validated(discord: Discord) -> None:
    path = f"/applications/{APP}/commands"
    good = [{"name": "presave", "description": "Get your link", "default_member_permissions": 32},
            {"name": "stopalerts", "description": "No more DMs", "contexts": [0, 1]}]  # fmt: skip
    stored = discord.api("PUT", path, json=good).json()
    assert [c["name"] for c in stored] == ["presave", "stopalerts"]
    assert stored[0]["application_id"] == APP and stored[0]["type"] == 1
    assert stored[0]["default_member_permissions"] == "32"
    assert discord.api("GET", path).json() == stored
    again = discord.api("PUT", path, json=good[:1]).json()
    assert again[0]["id"] == stored[0]["id"] and again[0]["version"] != stored[0]["version"]
    bad_cases = {
        "0.name": [{"name": "Pre Save", "description": "x"}],
        "0.description": [{"name": "presave", "description": ""}],
        "0.options.0.name": [{"name": "a", "description": "x",
                              "options": [{"name": "B", "description": "y", "type": 3}]}],
    }  # fmt: skip
    for where, body in bad_cases.items():
        refused = discord.api("PUT", path, json=body)
        assert error(refused) == (400, 50035), where
        errors = refused.json()["errors"]
        for part in where.split("."):
            errors = errors[part]
        assert errors["_errors"], where
    assert error(discord.api("PUT", path, json=[{"name": "x" * 33, "description": "x"}])) == (
        400, 50035,
    )  # fmt: skip
    many = [{"name": f"c{n}", "description": "x"} for n in range(101)]
    assert error(discord.api("PUT", path, json=many)) == (400, 50035)
    twice = [{"name": "a", "description": "x"}, {"name": "a", "description": "y"}]
    assert error(discord.api("PUT", path, json=twice)) == (400, 50035)
    assert discord.api("GET", path).json() == again, "refused overwrites change nothing"
    assert error(discord.api("GET", f"/applications/{'1' * 18}/commands")) == (403, 50001)
    assert error(discord.api("GET", "/applications/abc/commands")) == (404, 10002)


def test_arrivals_give_the_most_in_any_rolling_second(discord: Discord) -> None:
    log = discord.server.app.state.arrivals
    t0 = 1000.0
    for at in (0.0, 0.1, 0.5, 0.99, 1.0, 1.05, 3.0):
        log.record("discord", t0 + at)
    arrivals = discord.admin("discord/arrivals")
    assert arrivals["count"] == 7 and arrivals["max_in_any_1s"] == 5  # 0.1 .. 1.05
    assert (arrivals["first"], arrivals["last"]) == (t0, t0 + 3.0)


def test_seeding_is_validated_and_bulk_members_are_quick(discord: Discord) -> None:
    seed = {"id": GUILD, "roles": [{"id": ROLE, "position": 1}],
            "channels": [{"id": CHANNEL}], "members": [{"id": FAN}]}  # fmt: skip
    cases = {
        "id": {**seed, "id": "12"},
        "roles.0.permissions": {**seed, "roles": [{"id": ROLE, "permissions": "lots"}]},
        "channels.0.type": {**seed, "channels": [{"id": CHANNEL, "type": 4}]},
        "channels.0.permission_overwrites.0.type": {
            **seed, "channels": [{"id": CHANNEL, "permission_overwrites": [{"id": FAN, "type": 7}]}]
        },
        "members.0.roles": {**seed, "members": [{"id": FAN, "roles": [BOT_ROLE]}]},
    }  # fmt: skip
    for field, body in cases.items():
        assert field in discord.admin("discord/guilds", body, status=400)["error"]
    assert discord.admin("discord/guilds", seed)["roles"] == 2  # @everyone added
    started = time.monotonic()
    added = discord.admin("discord/members", {"guild_id": GUILD, "count": 20_000})
    assert time.monotonic() - started < 3.0
    assert len(added["ids"]) == 20_000 and len(set(added["ids"])) == 20_000
    member = discord.api("GET", f"/guilds/{GUILD}/members/{added['ids'][-1]}").json()
    assert member["roles"] == []
    ranged = {"guild_id": GUILD, "count": 2, "first": 600_000_000_000_000_000}
    assert discord.admin("discord/members", ranged)["ids"] == [
        "600000000000000000", "600000000000000001",
    ]  # fmt: skip


def test_reset_forgets_discord_and_stats_show_it(discord: Discord) -> None:
    discord.seed()
    discord.send(CHANNEL, "hi")
    stats = discord.admin("stats")
    assert stats["discord"]["by_endpoint"]["message_create"] == 1
    assert stats["stored"]["discord_messages"] == 1
    assert {"invalid_requests", "banned", "banned_requests", "global_429", "route_429"} <= set(
        stats["discord"]
    )
    discord.admin("reset", {})
    assert error(discord.api("GET", f"/guilds/{GUILD}")) == (404, 10004)
    assert discord.admin("stats")["stored"]["discord_messages"] == 0
    assert discord.admin("discord/arrivals")["count"] == 1
