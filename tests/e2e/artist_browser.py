"""What the artist pages' browser tests share: the two screen sizes, axe, no sideways
scrolling, setting the password from a one-time link, and the page's CSP complaints."""

from __future__ import annotations

from typing import Any

SIZES = [(390, 844), (1280, 800)]
PASSWORD = "correct horse battery"


def no_axe_violations(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def accessible_at_both_sizes(page: Any, url: str) -> None:
    """`url` passes axe and fits the screen at phone and desktop sizes."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        no_axe_violations(page)
        fits(page)


def set_password_from_link(page: Any, link: str, landing: str) -> None:
    """Open a one-time sign-in link, set the password, and land on `landing`."""
    page.goto(link)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Type it again").fill(PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()
    page.wait_for_url(landing)


def csp_complaints(page: Any) -> list[str]:
    """The console messages about the Content Security Policy, as the page runs."""
    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if "Content Security" in m.text else 0)
    return complaints
