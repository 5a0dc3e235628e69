"""`presave up` with no credentials: a fan texts the keyword in the sandbox, connects
Spotify through the sandbox's authorize page, and on drop day is saved and told."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.timeutil import utcnow
from tests.integration.story_helpers import (
    ALBUM,
    awake_phone,
    connect_spotify,
    sandbox_base,
    text_keyword,
    texts_to,
    until,
)
from tests.integration.up_helpers import presave_up


def test_make_run_story_text_connect_saved_and_told(tmp_path: Path, redis_url: str) -> None:
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        log = up.log()
        assert "sandbox: Spotify, Twilio and Discord go to the local stand-ins" in log
        release = (utcnow() + timedelta(hours=2)).isoformat(timespec="seconds")
        made = up.presave(
            "campaign", "create", "--artist", "Mira Vale", "--title", "Night Bloom",
            "--keyword", "BLOOM", "--release-at", release, "--timezone", "UTC",
            "--spotify-album-id", ALBUM, "--json",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        slug = json.loads(made.stdout)["slug"]

        phone = awake_phone()
        http = connect_spotify(up, text_keyword(up, phone, "BLOOM"), "fan-1")

        live = up.presave("release", "mark-live", slug, "--json")
        assert live.returncode == 0, live.stderr

        base = sandbox_base(up)

        def saved() -> bool:
            user = http.get(f"{base}/_sandbox/users/fan-1", timeout=5).json()
            return f"spotify:album:{ALBUM}" in user["saved"]

        def told() -> list[dict[str, Any]]:
            return texts_to(up, phone)

        until(up, "the save at the Spotify stand-in", saved)
        [alert] = until(up, "the drop text at the Twilio stand-in", told)
        assert "Night Bloom" in alert["body"]

        def callbacks() -> dict[str, int]:
            events: dict[str, int] = http.get(f"{base}/_sandbox/stats", timeout=5).json()["events"]
            return events if events.get("callbacks_sent", 0) >= 2 else {}

        # Its status callbacks (sent, delivered) reached our webhook and passed its signature
        # check: a refused one counts as failed.
        assert "callbacks_failed" not in until(up, "the status callbacks", callbacks)
