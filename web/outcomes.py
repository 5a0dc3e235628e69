"""The page (or redirect) for each way an authorization start or callback can end."""

from __future__ import annotations

from flask import redirect, url_for
from flask.typing import ResponseReturnValue

from core.services.authorization import Claim, Outcome, Result
from web import oauth_cookie
from web.page_support import error_page, not_found, page

STATE_PROBLEMS = {
    "tampered": "This sign-in link isn't valid.",
    "expired": "This sign-in link expired (they last 15 minutes).",
    "replayed": "This sign-in link was already used.",
}
OTHER_BROWSER = (
    "This link was opened in another browser than the one that started the sign-in, so "
    "nothing was connected. Open your personal link again (from your message, or the "
    "artist's page) in the browser you want to use, and press the button there."
)
AGAIN = "Let's try that again"


def retry_href(claim: Claim) -> str:
    """Where 'try again' goes: the fan's own link, or the public page with the same source."""
    if claim.link_code:
        return url_for("fan_pages.fan_link", code=claim.link_code)
    return url_for("fan_pages.campaign_page", slug=claim.campaign.slug, ref=claim.state.source)


def _failure(result: Result) -> ResponseReturnValue:
    retry = retry_href(result.claim) if result.claim else None
    if result.outcome == Outcome.BAD_STATE and result.reason == "other_browser":
        return error_page(400, "Open your link again", OTHER_BROWSER)
    if result.outcome == Outcome.BAD_STATE:
        return error_page(400, AGAIN, STATE_PROBLEMS.get(result.reason or "", "Nothing was saved."))
    if result.outcome == Outcome.GONE:
        return error_page(400, AGAIN, "This pre-save no longer exists. Nothing was saved.")
    if result.outcome == Outcome.CODE_REFUSED:
        return error_page(400, "That sign-in was already used", "Nothing was saved.", retry=retry)
    if result.outcome == Outcome.UNAVAILABLE:
        return error_page(
            502, "Spotify isn't answering", "Nothing was saved. Please try again.", retry=retry
        )
    return error_page(400, "Spotify didn't finish", "Nothing was saved.", retry=retry)


def respond(result: Result, browser: str | None = None) -> ResponseReturnValue:
    """Render `result` for the fan; a redirect to Spotify keeps `browser` in its cookie."""
    card, outcome = result.card, result.outcome
    if outcome == Outcome.REDIRECT and result.url:
        response = redirect(result.url, 302)
        return oauth_cookie.attach(response, browser) if browser else response
    if outcome == Outcome.NOT_FOUND:
        return not_found()
    if outcome == Outcome.NOT_CONFIGURED:
        return error_page(
            503,
            "Spotify pre-saves aren't switched on yet",
            "This service isn't connected to Spotify yet, so nothing can be saved. "
            "Please try later.",
        )
    if outcome == Outcome.ENDED and card is not None:
        return error_page(
            410, "This pre-save has ended", f"{card.title} by {card.artist} is closed."
        )
    if outcome == Outcome.CONNECTED and result.page is not None:
        view = result.page
        return page("fan/connected.html", view=view, card=card)
    if outcome == Outcome.DENIED and result.claim is not None:
        return page("fan/denied.html", card=card, retry_href=retry_href(result.claim))
    if outcome == Outcome.QUOTA and result.claim is not None:
        return page("fan/quota.html", card=card, known_fan=result.claim.link_code is not None)
    return _failure(result)
