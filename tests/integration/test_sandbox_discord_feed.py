"""What the Discord simulator's page polls: the DMs and channel posts the bot sent through
the Discord stand-in's REST API (as the workers send them) and each member's roles."""

from __future__ import annotations

from typing import Any

from sandbox import SANDBOX_DISCORD_BOT_TOKEN
from sandbox.discord_demo import DEMO_ANNOUNCEMENTS_ID, DEMO_GUILD_ID, DEMO_PRESAVER_ROLE_ID
from tests.integration.sandbox_discord_world import FAN, World, world

__all__ = ["world"]


def as_bot(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = world.sandbox.http.request(
        method, f"{world.sandbox.base}/discord/api/v10{path}", json=body, timeout=10,
        headers={"Authorization": f"Bot {SANDBOX_DISCORD_BOT_TOKEN}"},
    )  # fmt: skip
    assert answer.status_code in (200, 204), answer.text
    return answer.json() if answer.status_code == 200 else None


def test_the_feed_shows_dms_posts_and_roles_as_the_bot_sent_them(world: World) -> None:
    dm = as_bot(world, "POST", "/users/@me/channels", {"recipient_id": FAN})
    as_bot(world, "POST", f"/channels/{dm['id']}/messages", {
        "content": "**Night Bloom** is out: https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy",
    })  # fmt: skip
    as_bot(world, "POST", f"/channels/{DEMO_ANNOUNCEMENTS_ID}/messages", {
        "content": f"<@&{DEMO_PRESAVER_ROLE_ID}> Night Bloom is out!",
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 5, "label": "Listen", "url": "https://open.spotify.com/x"},
        ]}],
    })  # fmt: skip
    as_bot(world, "PUT", f"/guilds/{DEMO_GUILD_ID}/members/{FAN}/roles/{DEMO_PRESAVER_ROLE_ID}")

    feed = world.client.get("/sandbox/discord/feed.json").get_json()
    fan = next(m for m in feed["members"] if m["id"] == FAN)
    assert fan["roles"] == ["Pre-saver"]
    album = "https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy"
    assert fan["dms"] == [{
        "text": f"**Night Bloom** is out: {album}",
        "parts": [["strong", "Night Bloom"], ["text", f" is out: {album}"]],
        "links": [{"label": album, "url": album}],
    }]  # fmt: skip
    [post] = feed["channels"][DEMO_ANNOUNCEMENTS_ID]
    assert post["parts"] == [["text", "@Pre-saver Night Bloom is out!"]]
    assert post["links"] == [{"label": "Listen", "url": "https://open.spotify.com/x"}]
    others = [m for m in feed["members"] if m["id"] != FAN]
    assert all(m["dms"] == [] for m in others)

    page = world.client.get("/sandbox/discord").get_data(as_text=True)
    assert f'<a href="{album}">' in page and "<strong>Night Bloom</strong>" in page


def test_the_feed_says_so_when_the_sandbox_is_gone(world: World) -> None:
    world.sandbox.server.shutdown()
    answer = world.client.get("/sandbox/discord/feed.json")
    assert answer.status_code == 503 and "not answering" in answer.get_json()["error"]
    page = world.client.get("/sandbox/discord")
    assert page.status_code == 503
    assert "The sandbox is not answering" in page.get_data(as_text=True)
