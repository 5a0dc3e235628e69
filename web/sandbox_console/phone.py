"""Sandbox console: /phone, a fan's phone texting our number through the sandbox's Twilio.

GET /phone?number=+1...   the page (pick or type a number; the thread; the text form)
POST /phone/text          send a text (redirects back, or JSON for the page's script)
GET /phone/thread.json    the thread, for the page's script to refresh it every 2 s
"""

from __future__ import annotations

from flask import Response, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core.services import sandbox_phone
from core.services.sandbox_phone import PhoneProblem, Thread
from core.services.sandbox_phone_held import held_note
from core.services.sandbox_phone_numbers import ready_numbers, suggested
from core.timeutil import utcnow
from core.validation import ValidationError
from web.page_support import page, settings, unit_of_work
from web.sandbox_console import bp
from web.sandbox_console.phone_form import TextForm


def _keywords() -> list[tuple[str, str]]:
    with unit_of_work() as session:
        return sandbox_phone.open_keywords(session)


def _held(number: str) -> str | None:
    with unit_of_work() as session:
        return held_note(session, number) if number else None


def _thread(number: str) -> tuple[Thread | None, PhoneProblem | None]:
    """The thread for the page, or the problem to show in its place."""
    try:
        return sandbox_phone.thread(settings(), number), None
    except ValidationError as exc:
        return None, PhoneProblem(400, str(exc), exc.field)
    except PhoneProblem as exc:
        return None, exc


def _page(number: str, form: TextForm, problem: PhoneProblem | None = None) -> Response:
    """The phone page; its status is the problem's (the text's or the thread's), else 200."""
    thread, thread_problem = _thread(number) if number else (None, None)
    shown = problem or thread_problem
    if shown is not None and shown.field == "text":
        form.text.errors = [shown.message]
    ready = ready_numbers(utcnow())
    return page(
        "sandbox/phone.html",
        shown.status if shown else 200,
        number=number,
        ready=ready,
        suggested=suggested(ready),
        held=_held(thread.phone) if thread else None,
        thread=thread,
        form=form,
        problem=shown,
        keywords=_keywords(),
        our_number=thread.our_number if thread else sandbox_phone.number_to_text(settings()),
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/phone")
def phone() -> Response:
    """Pick or type a number; with `?number=`, its conversation with our number."""
    number = request.args.get("number", "").strip()[:32]
    return _page(number, TextForm(number=number))


@bp.post("/phone/text")
def phone_text() -> ResponseReturnValue:
    """Deliver the fan's text to our webhook through the sandbox; back to the thread."""
    form = TextForm()
    number = (form.number.data or "").strip()[:32]
    try:
        replies = sandbox_phone.send_text(settings(), number, form.text.data)
    except ValidationError as exc:
        problem = PhoneProblem(400, str(exc), exc.field)
    except PhoneProblem as exc:
        problem = exc
    else:
        if _wants_json():
            return jsonify(sent=True, replies=replies)
        return redirect(url_for("sandbox_console.phone", number=number), 303)
    if _wants_json():
        return jsonify(error=problem.message, field=problem.field), problem.status
    return _page(number, form, problem)


@bp.get("/phone/thread.json")
def phone_thread() -> ResponseReturnValue:
    """The conversation as JSON: {phone, place, our_number, messages: [...]}, oldest first."""
    thread, problem = _thread(request.args.get("number", "").strip()[:32])
    if problem is not None or thread is None:
        assert problem is not None
        return jsonify(error=problem.message, field=problem.field), problem.status
    return jsonify(thread.as_json() | {"held": _held(thread.phone)})
