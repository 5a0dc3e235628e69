"""How the Discord simulator shows a message: Discord's **bold** and `code` as parts,
mentions by name, link buttons and URLs as links."""

from __future__ import annotations

from core.services.sandbox_discord import Link, parts_of, post_of

NAMES = {"1300000000000000011": "#announcements", "1300000000000000021": "@Pre-saver"}


def test_markup_is_split_and_mentions_are_named() -> None:
    text = "**Night Bloom** posts in <#1300000000000000011>, fans get <@&1300000000000000021>."
    assert parts_of(text, NAMES) == (
        ("strong", "Night Bloom"),
        ("text", " posts in #announcements, fans get @Pre-saver."),
    )
    assert parts_of("Run `/presave` <@&1399999999999999999>") == (
        ("text", "Run "), ("code", "/presave"), ("text", " <@&1399999999999999999>"),
    )  # fmt: skip


def test_link_buttons_and_urls_in_the_text_are_links_and_nothing_else_is() -> None:
    message = {
        "content": "Out now: https://open.spotify.com/album/x and javascript:alert(1)",
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 5, "label": "Pre-save on Spotify", "url": "http://127.0.0.1/p/a"},
            {"type": 2, "style": 5, "label": "Bad", "url": "javascript:alert(1)"},
        ]}],
    }  # fmt: skip
    post = post_of(message)
    assert post.links == (
        Link("https://open.spotify.com/album/x", "https://open.spotify.com/album/x"),
        Link("Pre-save on Spotify", "http://127.0.0.1/p/a"),
    )
