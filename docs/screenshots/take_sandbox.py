"""Screenshots of the sandbox console's phone and Discord simulators (and its clock) for the
README, taken from a real `presave up` with its demo campaign.

Run from the repository root:  .venv/bin/python -m docs.screenshots.take_sandbox

It starts `presave up` (every role, the sandbox, the demo "Night Bloom" by Mira Vale) in a
temporary folder on a free port of 127.0.0.1, then drives the console as a user would in
Debian's /usr/bin/chromium through Playwright, refusing every request to another host: a
fan texts BLOOM on the phone, luna_petal runs /presave on Discord, the clock sends the next
countdown now and makes the release live in the US. Then it shoots the pages at 1280x800 and
390x844 (viewport only) next to this file and stops `presave up` with its whole tree.
REDIS_URL is passed on when set, else `presave up` runs its embedded Redis.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.procs import alive, descendants, free_port
from core.quiet_hours import hold_until
from core.services.sandbox_phone_numbers import ready_numbers
from core.timeutil import utcnow
from docs.screenshots.take import CHROMIUM, HERE, LAUNCH_ARGS, SIZES, guard_loopback

PRESAVE = Path(sys.executable).with_name("presave")
SLUG = "mira-vale-night-bloom"  # the demo campaign
MEMBER = "luna_petal"
MARKET = "US"
WAIT = 120_000  # ms, for what the workers send


@contextmanager
def presave_up(folder: Path) -> Iterator[str]:
    """`presave up` in `folder`, once its demo is seeded: its base URL. Always stopped, with
    every process below it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
           "PUBLIC_URL": base}  # fmt: skip
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    log_path = folder / "up.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(PRESAVE), "up", "--port", str(port)],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while "demo: sign in at" not in log_path.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"presave up did not come up:\n{tail}")
                time.sleep(0.2)
            yield base
        finally:
            children = descendants(proc.pid)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            for pid in children:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def awake_number() -> str:
    """The first ready number whose owner may get a text now and for the next 15 minutes
    (quiet hours would hold the countdown and the drop text)."""
    now = utcnow()
    for ready in ready_numbers():
        if all(
            hold_until(at, ready.number, None, None, None) is None
            for at in (now, now + timedelta(minutes=15))
        ):
            return ready.number
    raise RuntimeError("no ready number is in its texting hours right now")


def text_the_keyword(page: Any, base: str, number: str) -> None:
    page.goto(f"{base}/sandbox/phone")
    page.get_by_label("A ready number").select_option(number)
    page.get_by_role("button", name="Use this phone").click()
    page.get_by_label("Message", exact=True).fill("BLOOM")
    page.get_by_role("button", name="Send").click()
    page.locator(".bubble-ours").first.wait_for(timeout=30_000)


def run_presave(page: Any, base: str) -> None:
    """luna_petal runs /presave on the Discord page; the page (kept open) shows the answer."""
    page.goto(f"{base}/sandbox/discord")
    page.get_by_label(MEMBER).check()
    page.get_by_label("Command", exact=True).select_option("presave")
    page.get_by_label(re.compile(r"^campaign\b")).fill(SLUG)
    page.get_by_role("button", name="Send the command").click()
    page.locator(".dsim-answer").get_by_role("link").wait_for(timeout=30_000)


def send_the_countdown(pages: dict[str, Any], base: str) -> None:
    """The clock sends the next countdown now; it reaches the phone and luna_petal's DMs
    (the pages poll every 2 seconds: no reloads)."""
    from playwright.sync_api import expect

    clock = pages["clock"]
    clock.goto(f"{base}/sandbox/clock")
    clock.get_by_role("button", name="Send the next scheduled message now").click()
    clock.locator(".flash").get_by_text("goes out now").wait_for()
    expect(pages["phone"].locator(".bubble-ours")).to_have_count(2, timeout=WAIT)
    dms = pages["discord"].locator(".dsim-member", has_text=MEMBER).locator(".discord-dm")
    expect(dms).to_have_count(1, timeout=WAIT)


def make_it_live(pages: dict[str, Any]) -> None:
    """The clock makes the release live in MARKET (after its confirmation); the drop text,
    the drop DM and the #announcements post arrive, and the clock's log lists them."""
    from playwright.sync_api import expect

    clock = pages["clock"]
    clock.get_by_label("Market").select_option(MARKET)
    clock.get_by_role("button", name="Make the release live now…").click()
    clock.get_by_role("button", name=f"Make it live in {MARKET}").click()
    clock.locator(".flash").get_by_text(f"Live in {MARKET} now").wait_for()
    out_now = re.compile("is out now")
    expect(pages["phone"].locator(".phone-thread")).to_contain_text(out_now, timeout=WAIT)
    discord = pages["discord"]
    member = discord.locator(".dsim-member", has_text=MEMBER)
    expect(member.locator("[data-part='dms']")).to_contain_text(out_now, timeout=WAIT)
    announcements = discord.get_by_role("region", name="#announcements")
    expect(announcements).to_contain_text(out_now, timeout=WAIT)
    expect(clock.locator("[data-log='entries']")).to_contain_text(
        "Discord DM sent: drop alert", timeout=WAIT
    )


def scroll_to(page: Any, selector: str, margin: int = 12) -> None:
    """The window scrolled so that `selector` starts `margin` pixels below the top."""
    page.locator(selector).first.evaluate(
        "(e, m) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - m)",
        margin,
    )


def arrange(name: str, page: Any, size: str) -> None:
    """What each shot shows. Phone: on a desktop the number picked and the thread from the
    fan's BLOOM, on a phone the thread's newest texts (countdown, drop). Discord: the
    ephemeral answer (with, on a desktop, the start of the #announcements post below it).
    Clock: the countdown and the workers' live log."""
    if name == "phone":
        newest = size == "phone"
        scroll_to(page, ".phone" if newest else "#pick-title")
        page.locator(".phone-thread").evaluate(
            "(e, newest) => { e.scrollTop = newest ? e.scrollHeight : 0; }", newest
        )
    elif name == "discord":
        scroll_to(page, ".dsim-answer" if size == "desktop" else "#dsim-answer-title")
    else:
        scroll_to(page, "#next-title")


def shoot(pages: dict[str, Any]) -> list[Path]:
    """Each kept-open page at each size (the clock at desktop size only), viewport only."""
    written = []
    for size, (width, height) in SIZES.items():
        for name, page in pages.items():
            if name == "clock" and size != "desktop":
                continue
            page.set_viewport_size({"width": width, "height": height})
            arrange(name, page, size)
            path = HERE / f"sandbox-{name}-{size}.png"
            page.screenshot(path=str(path), full_page=False, animations="disabled")
            written.append(path)
    return written


def browse(base: str) -> list[Path]:
    """The story in three tabs of one Chromium context that refuses every other host."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    with sync_playwright() as api:
        browser = api.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(locale="en-US", timezone_id="America/New_York")
        context.route("**/*", lambda route: guard_loopback(route, refused))
        try:
            pages = {name: context.new_page() for name in ("phone", "discord", "clock")}
            text_the_keyword(pages["phone"], base, awake_number())
            run_presave(pages["discord"], base)
            send_the_countdown(pages, base)
            make_it_live(pages)
            written = shoot(pages)
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
    with (
        tempfile.TemporaryDirectory(prefix="presave-sandbox-shots-") as folder,
        presave_up(Path(folder)) as base,
    ):
        written = browse(base)
    for path in written:
        print(f"{path.relative_to(Path.cwd())}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
