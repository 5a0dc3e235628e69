"""The campaign page's optional "text me on drop day" form (POST /c/<slug>/text-me)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from flask.typing import ResponseReturnValue

from core import queues, runtime
from core.services import form_limits, traffic, web_optin
from core.services.web_optin import WebOptIn, WebOptInStatus
from web.page_support import error_page, not_found, page, settings, spotify_app, unit_of_work
from workers import entry

bp = Blueprint("phone_optin", __name__)

FIELD_ERRORS = {
    WebOptInStatus.INVALID: (
        "That number didn't work. Enter a mobile number, with the country code if it isn't "
        "a US number (for example +44 7911 123456). Nothing was saved."
    ),
    WebOptInStatus.NOT_TEXTABLE: (
        "That number can't get our texts. Enter a mobile number: toll-free, premium-rate, "
        "shared-cost, landline and internet (VoIP) numbers are not accepted. Nothing was saved."
    ),
}
LIMIT_PAGES = {
    WebOptInStatus.LIMITED: (
        429,
        "Too many tries",
        "This number was entered several times already. Try again in an hour.",
    ),
    WebOptInStatus.BUSY: (
        429,
        "Too many tries",
        "Too many numbers were entered from your network lately. Try again in an hour.",
    ),
    WebOptInStatus.UNAVAILABLE: (
        503,
        "Try again later",
        "We can't take numbers right now, so no text was sent. Please try again in a few minutes.",
    ),
}


@bp.app_template_global("phone_optin_program")
def phone_optin_program() -> str:
    """The program name the disclosure under the form states."""
    return settings().program_name


def enqueue_text(result: WebOptIn) -> bool:
    """Queue the job that sends the YES request now; False (logged) when Redis is
    unreachable, in which case reconcile queues it from the outbox within a minute."""
    assert result.phone is not None and result.text_id is not None
    return runtime.enqueue_quietly(settings(), queues.MESSAGES, entry.send_outbound, result.text_id)


def form_error(result: WebOptIn, source: str, typed: str) -> Response:
    """The campaign page again, with the problem written next to the number field."""
    assert result.card is not None
    return page(
        "fan/campaign.html",
        400,
        card=result.card,
        source=source,
        in_app=None,
        spotify_ready=spotify_app() is not None,
        authorize_href=url_for("fan_pages.campaign_authorize", slug=result.card.slug, src=source),
        phone_error=FIELD_ERRORS[result.status],
        phone_value=typed[:32],
    )


def respond(result: WebOptIn, source: str, typed: str) -> ResponseReturnValue:
    """The page for each way a request can end."""
    status = result.status
    if status is WebOptInStatus.NOT_FOUND:
        return not_found()
    if status is WebOptInStatus.CLOSED:
        return error_page(410, "This pre-save has ended", "No texts will be sent for it.")
    if status in FIELD_ERRORS:
        return form_error(result, source, typed)
    if status in LIMIT_PAGES:
        code, title, message = LIMIT_PAGES[status]
        return error_page(code, title, message)
    if status is WebOptInStatus.BLOCKED:
        number = settings().twilio_from_number or "our number"
        return error_page(
            409,
            "This number opted out",
            f"{result.masked} replied STOP to our texts, so we can't text it. To get drop-day "
            f"texts, first text START to {number}, then enter your number here again.",
        )
    if status is WebOptInStatus.ALREADY:
        return error_page(
            200,
            "You're already in",
            f"{result.masked} already gets drop-day texts for this release. Its personal "
            "link is in the text we sent when it joined.",
        )
    if status is WebOptInStatus.PENDING:
        return error_page(
            200,
            "Check your phone",
            f"We already sent you a text at {result.masked}. Reply YES to it to get drop-day "
            "texts; no new text was sent.",
        )
    queued = enqueue_text(result)
    said = "We sent a text to {}." if queued else "Your text to {} will follow shortly."
    return error_page(
        200,
        "Check your phone",
        said.format(result.masked) + " Reply YES to it to get drop-day texts; until you do, "
        "nothing else is sent.",
    )


@bp.post("/c/<slug>/text-me")
def text_me(slug: str) -> ResponseReturnValue:
    """Check the number and the limits, then ask the number for its YES (one text).

    CSRFProtect (web.artist) has checked the form's token before this runs."""
    form, conf = request.form, settings()
    source = traffic.clean_tag(form.get("source")) or traffic.DEFAULT_SOURCE
    number = web_optin.read_number(form.get("phone", ""), form.get("region"))
    verdict = form_limits.take(
        runtime.redis_client(conf),
        conf.secret_key,
        request.remote_addr or "",
        None if isinstance(number, WebOptInStatus) else number,
    )
    with unit_of_work() as session:
        result = web_optin.request_phone_optin(session, conf, slug, number, source, verdict)
    return respond(result, source, form.get("phone", ""))
