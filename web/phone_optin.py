"""The campaign page's optional "text me on drop day" form (POST /c/<slug>/text-me)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from core import queues, runtime
from core.services import form_limits, traffic, web_optin
from core.services.web_optin import WebOptIn, WebOptInStatus
from web import csrf
from web.page_support import error_page, not_found, settings, unit_of_work

bp = Blueprint("phone_optin", __name__)


@bp.app_template_global("phone_optin_csrf")
def phone_optin_csrf() -> str:
    """The session's CSRF token, for the form included in the campaign page."""
    return csrf.token()


@bp.app_template_global("phone_optin_program")
def phone_optin_program() -> str:
    """The program name the disclosure under the form states."""
    return settings().program_name


def enqueue_text(result: WebOptIn) -> bool:
    """Queue the job that sends the confirmation now; False (logged) when Redis is
    unreachable, in which case reconcile queues it from the outbox within a minute."""
    assert result.phone is not None and result.text_id is not None
    return runtime.enqueue_quietly(
        settings(), queues.MESSAGES, queues.SEND_OUTBOUND, result.text_id
    )


def respond(result: WebOptIn, slug: str) -> ResponseReturnValue:
    """The page for each way a request can end."""
    status = result.status
    if status is WebOptInStatus.INVALID:
        return error_page(
            400,
            "That number didn't work",
            "Enter a mobile number, with the country code if it isn't a US number "
            "(for example +44 7700 900123). Nothing was saved.",
            retry=f"/c/{slug}",
        )
    if status is WebOptInStatus.NOT_FOUND:
        return not_found()
    if status is WebOptInStatus.CLOSED:
        return error_page(410, "This pre-save has ended", "No texts will be sent for it.")
    if status is WebOptInStatus.LIMITED:
        return error_page(
            429, "Too many tries", "This number asked several times already. Try again in an hour."
        )
    if status is WebOptInStatus.BLOCKED:
        number = settings().twilio_from_number or "our number"
        return error_page(
            409,
            "This number opted out",
            f"{result.masked} replied STOP to our texts, so we can't text it. To get drop-day "
            f"texts, first text START to {number}, then enter your number here again.",
        )
    if not enqueue_text(result):
        return error_page(200, "You're in", f"Your text to {result.masked} will follow shortly.")
    return error_page(200, "Check your phone", f"We sent a text to {result.masked}.")


@bp.post("/c/<slug>/text-me")
def text_me(slug: str) -> ResponseReturnValue:
    """Parse the form, opt the number in through the core service, queue the confirmation."""
    if not csrf.valid():
        return error_page(
            400,
            "That didn't work",
            "Your session has expired. Open the page again and enter your number once more.",
        )
    if not form_limits.allow(
        runtime.redis_client(settings()), settings().secret_key, request.remote_addr or ""
    ):
        return error_page(
            429,
            "Too many tries",
            "Too many numbers were entered from your network lately. Try again in an hour.",
        )
    form = request.form
    source = traffic.clean_tag(form.get("source")) or traffic.DEFAULT_SOURCE
    with unit_of_work() as session:
        result = web_optin.request_phone_optin(
            session, settings(), slug, form.get("phone", ""), source, form.get("region")
        )
    return respond(result, slug)
