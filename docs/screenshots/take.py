"""Screenshots of the artist web app for the README, on made-up demo data.

Run from the repository root:  .venv/bin/python -m docs.screenshots.take

It builds a throwaway instance (SQLite file, secrets) in a temporary folder, seeds a team,
two campaigns and a few hundred fans through core services and models, serves the app with
werkzeug on 127.0.0.1 and drives Debian's /usr/bin/chromium through Playwright (never a
downloaded browser) as the browser tests do; every request to another host is refused.
REDIS_URL is used when set (the sign-in limits count there), else an embedded Redis.
The PNGs land next to this file, at 1280x800 (desktop) and 390x844 (phone), viewport only.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server

from cli import migrate
from core.db import dispose_all, transaction
from core.models import Consent, Event, Fan, FanLink, PreSave, SpotifyGrant
from core.services import (
    accounts,
    artist_messages,
    audit,
    drop_mark,
    funnel_rebuild,
    team_discord,
    tenancy,
)
from core.services.campaigns import CampaignDraft, by_id, create_campaign
from core.services.one_time_links import SIGN_IN
from core.settings import Settings, load_settings
from core.timeutil import utcnow

PUBLIC_URL = "https://presave.example"
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [  # the same as tests/e2e/conftest.py
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
EMAIL = "mira@label.example"
PASSWORD = "night bloom demo password"  # noqa: S105 (a throwaway instance's demo account)
ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"
GUILD = "1187654321098765432"
SOURCES = ("instagram", "tiktok", "newsletter", "keyword")
MARKETS = ("US", "US", "US", "GB", "CA", "DE")


@dataclass(frozen=True)
class Demo:
    """What the pages need: the two campaigns' ids."""

    upcoming: int  # Night Bloom: countdown scheduled, fans joining
    live: int  # Glasshouse: released, the drop under way


def add_fan(session: Any, campaign_id: int, n: int, rng: random.Random, fate: str) -> None:
    """One fan of the campaign: link, consent, and a Spotify grant and pre-save per `fate`
    (a pre-save status, `opted_in` for none, `opted_out` for a stopped fan)."""
    channel = "discord" if rng.random() < 0.3 else "sms"
    joined = utcnow() - timedelta(minutes=rng.randint(60, 14 * 24 * 60))
    country = "DE" if fate == "queued_for_market" else rng.choice(MARKETS)
    fan = Fan(created_at=joined, country=country)
    if channel == "sms":
        fan.phone_e164 = f"+1{rng.choice((415, 212, 646, 323))}555{n:04d}"
    else:
        fan.discord_user_id = str(900_000_000_000_000_000 + n)
    session.add(fan)
    session.flush()
    source = rng.choice(SOURCES)
    session.add(FanLink(code=secrets.token_urlsafe(16), fan_id=fan.id, campaign_id=campaign_id,
                        source=channel, created_at=joined))  # fmt: skip
    sender = "discord" if channel == "discord" else "+15005550006"
    status = "opted_out" if fate == "opted_out" else "opted_in"
    session.add(Consent(fan_id=fan.id, campaign_id=campaign_id, channel=channel, sender=sender,
                        status=status, source=source, at=joined))  # fmt: skip
    session.add(Event(kind="optin", at=joined, campaign_id=campaign_id, fan_id=fan.id,
                      channel=channel, source=source, country=fan.country))  # fmt: skip
    if fate in ("opted_in", "opted_out"):
        return
    grant = "needs_reconnect" if fate == "needs_reconnect" else "active"
    session.add(SpotifyGrant(fan_id=fan.id, spotify_user_id=f"demo{n}", status=grant,
                             country=fan.country, authorized_at=joined))  # fmt: skip
    saved = utcnow() - timedelta(seconds=rng.randint(5, 35 * 60)) if fate == "saved" else None
    session.add(PreSave(campaign_id=campaign_id, fan_id=fan.id, status=fate,
                        market=fan.country, saved_at=saved))  # fmt: skip
    authorized = joined + timedelta(minutes=rng.randint(1, 50))
    session.add(Event(kind="link_click", at=joined + timedelta(seconds=40),
                      campaign_id=campaign_id, fan_id=fan.id))  # fmt: skip
    session.add(Event(kind="spotify_authorized", at=authorized, campaign_id=campaign_id,
                      fan_id=fan.id, source=source, country=fan.country))  # fmt: skip
    if saved is not None:
        session.add(Event(kind="saved", at=saved, campaign_id=campaign_id, fan_id=fan.id,
                          country=fan.country))  # fmt: skip


def add_page_views(session: Any, campaign_ids: list[int], rng: random.Random) -> None:
    """Visits to the campaigns' public pages over the last two weeks, from each source."""
    for campaign_id in campaign_ids:
        for n in range(600):
            at = utcnow() - timedelta(minutes=rng.randint(60, 14 * 24 * 60))
            session.add(Event(kind="page_view", at=at, campaign_id=campaign_id,
                              source=SOURCES[n % len(SOURCES)]))  # fmt: skip


def evening_in_days(days: int) -> datetime:
    """20:00 in New York `days` from now: the countdowns fall outside quiet hours."""
    local = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=days)
    return local.replace(hour=20, minute=0, second=0, microsecond=0)


def seed(settings: Settings) -> Demo:
    """The team, its owner (password set), two campaigns, their fans and what was done."""
    rng = random.Random(18)
    now = utcnow()
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, EMAIL, "Mira Vale crew")
        accounts.use_sign_in_link(session, raw, PASSWORD, SIGN_IN)
        team_id = accounts.memberships(session, user.id)[0].team_id
        accounts.create_user(session, "jonah@label.example", "Mira Vale crew", "member")
        ids = []
        for title, keyword, release in (
            ("Glasshouse", "GLASS", now - timedelta(minutes=40)),
            ("Night Bloom", "BLOOM", evening_in_days(5)),
        ):
            draft = CampaignDraft(
                artist="Mira Vale", title=title, keyword=keyword, release_at=release.isoformat(),
                timezone="America/New_York", spotify_album_id=ALBUM, force=True,
            )  # fmt: skip
            campaign = create_campaign(session, draft)
            tenancy.assign_artist(session, campaign.artist_id, team_id)
            audit.record(session, team_id, user.id, "created", campaign.id, f"keyword {keyword}")
            ids.append(campaign.id)
        live, upcoming = ids
        fates = {
            upcoming: {"opted_in": 90, "pending": 150, "opted_out": 14, "needs_reconnect": 6},
            live: {"saved": 120, "pending": 45, "queued_for_market": 10, "failed": 3,
                   "opted_in": 25, "opted_out": 6},
        }  # fmt: skip
        n = 0
        for campaign_id, counts in fates.items():
            for fate, count in counts.items():
                for _ in range(count):
                    n += 1
                    add_fan(session, campaign_id, n, rng, fate)
        add_page_views(session, ids, random.Random(19))
        session.flush()
        funnel_rebuild.rebuild(session)  # the rows above were added directly, not recorded
        for campaign_id in ids:
            campaign = by_id(session, campaign_id)
            team_discord.allow(session, (team_id, user.id), campaign, GUILD)
        countdown = artist_messages.Compose(
            template="countdown-1d", before="1d", channels=("sms", "discord")
        )
        _, made = artist_messages.schedule_message(
            session, team_id, user.id, upcoming, countdown, settings, now
        )
        assert made is not None, "the demo countdown was refused"
        glass = by_id(session, live)
        for market in ("US", "GB", "CA"):
            drop_mark.mark_live(session, glass, market, now, team_id, user.id)
    return Demo(upcoming=upcoming, live=live)


def serve(settings: Settings) -> tuple[str, Callable[[], None]]:
    """The app on a free port of 127.0.0.1, in a thread: (base URL, stop)."""
    from web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="screenshots", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)

    return base, stop


def shoot(page: Any, base: str, demo: Demo) -> list[Path]:
    """Sign in, then each page at each size; returns the files written."""
    page.goto(f"{base}/app/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{base}/app/campaigns")
    up, live = (f"{base}/app/campaigns/{demo.upcoming}", f"{base}/app/campaigns/{demo.live}")

    def new_message(page: Any) -> None:
        page.goto(f"{up}/messages/new")
        page.get_by_label("Template").select_option("countdown-1h")
        page.get_by_label("How long before the release").fill("1h")
        page.get_by_label("SMS", exact=True).check()
        page.get_by_label("Discord DM").check()
        page.get_by_label("Your own text (optional)").fill(
            "One hour until Night Bloom. It lands in your library at 8 pm: {{ link }}"
        )
        page.locator("#preview-region").get_by_text("every check passed").wait_for()
        page.locator("legend", has_text="Channels").evaluate("e => e.scrollIntoView()")

    shots: dict[str, Callable[[Any], Any]] = {
        "campaigns": lambda p: p.goto(f"{base}/app/campaigns"),
        "campaign": lambda p: p.goto(up),
        "new-message": new_message,
        "fans": lambda p: p.goto(f"{up}/fans"),
        "drop": lambda p: p.goto(f"{live}/drop"),
        "analytics": lambda p: p.goto(f"{live}/analytics#funnel-heading"),
        "releases": lambda p: p.goto(f"{base}/app/releases"),
    }
    written = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, open_page in shots.items():
            open_page(page)
            path = HERE / f"{name}-{size}.png"
            page.screenshot(path=str(path), full_page=False, animations="disabled")
            written.append(path)
    return written


def guard_loopback(route: Any, refused: list[str]) -> None:
    """A route handler: requests to 127.0.0.1 go on, any other host is refused and noted."""
    url = route.request.url
    if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
        route.fallback()
    else:
        refused.append(url)
        route.abort()


def browse(base: str, demo: Demo) -> list[Path]:
    """Chromium in a context that refuses every host but 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    with sync_playwright() as api:
        browser = api.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(locale="en-US", timezone_id="America/New_York")
        context.route("**/*", lambda route: guard_loopback(route, refused))
        try:
            written = shoot(context.new_page(), base, demo)
        finally:
            context.close()
            browser.close()
    if refused:
        print("refused requests to other hosts:", *refused, sep="\n  ", file=sys.stderr)
    return written


def main() -> int:
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is missing (Debian package `chromium`)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="presave-shots-") as folder:
        # Fan links read as on a real deployment; the server itself is on 127.0.0.1.
        env = {"PRESAVE_ENV": "development", "INSTANCE_PATH": folder, "PUBLIC_URL": PUBLIC_URL}
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        settings = load_settings(env, dotenv_path=Path(folder) / "no.env")
        migrate.upgrade(settings.database_url)
        demo = seed(settings)
        base, stop = serve(settings)
        try:
            written = browse(base, demo)
        finally:
            stop()
            dispose_all()
    for path in written:
        print(f"{path.relative_to(Path.cwd())}  {path.stat().st_size // 1024} KB")
    print(f"total {sum(p.stat().st_size for p in written) // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
