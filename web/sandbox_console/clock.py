"""Sandbox console: /clock. Make a release live now (after a confirmation naming the
market), send the next countdown now, and watch what the workers do (log.json, polled)."""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core import queues, runtime
from core.services import sandbox_clock, sandbox_clock_log
from core.timeutil import utcnow
from core.validation import ValidationError
from web.page_support import page, settings, unit_of_work
from web.sandbox_console import bp
from workers import entry

TEMPLATE = "sandbox/clock.html"
CONFIRM_TEMPLATE = "sandbox/clock_confirm.html"


def clock_page(raw_campaign: str | None, error: ValidationError | None = None,
               status: int = 200) -> ResponseReturnValue:  # fmt: skip
    """The clock for a campaign, with a refusal next to the field it names. Rendered after
    the transaction: the page's own reads (the signed-in artist) need the database free."""
    try:
        with unit_of_work() as db:
            view = sandbox_clock.overview(db, raw_campaign, utcnow())
    except ValidationError as exc:
        with unit_of_work() as db:
            view = sandbox_clock.overview(db, None, utcnow())
        error, status = exc, 400
    return page(TEMPLATE, status, view=view, error=error)


def queue_job(queue_name: str, func: Callable[..., object], *args: object,
              job_id: str | None = None) -> bool:  # fmt: skip
    """Queue a job now (as `job_id`: the id the scheduler gives it); False when Redis cannot
    be reached (then reconcile or the countdown tick queues it within a minute)."""
    if job_id is None:
        return runtime.enqueue_quietly(settings(), queue_name, func, *args)
    try:
        queue = queues.queue(queue_name, runtime.redis_client(settings()))
        queue.enqueue(func, *args, job_id=job_id)
    except (redis.RedisError, OSError):
        return False
    return True


@bp.get("/clock")
def clock() -> ResponseReturnValue:
    """The chosen campaign (the demo one by default): actions and the live log."""
    return clock_page(request.args.get("campaign"))


@bp.get("/clock/live")
def live_confirm() -> ResponseReturnValue:
    """Name the campaign and the market before anything is made live."""
    raw, market = request.args.get("campaign"), request.args.get("market")
    try:
        code = sandbox_clock.checked_market(market)
        with unit_of_work() as db:
            view = sandbox_clock.overview(db, raw, utcnow())
    except ValidationError as exc:
        return clock_page(raw if exc.field != "campaign" else None, exc, 400)
    return page(CONFIRM_TEMPLATE, view=view, market=code)


@bp.post("/clock/live")
def make_live() -> ResponseReturnValue:
    """Make the album live in that market now, detect it, and start the drop."""
    raw = request.form.get("campaign")
    try:
        done = sandbox_clock.make_live(settings(), raw, request.form.get("market"), utcnow())
    except ValidationError as exc:
        return clock_page(raw if exc.field != "campaign" else None, exc, 400)
    if not done.new_markets:
        flash(f"Live in {done.market} now; it had been found there already.")
    elif queue_job(queues.DEFAULT, entry.start_live, done.campaign_id, list(done.new_markets)):
        flash(f"Live in {done.market} now: detected, and the drop is starting.")
    else:
        flash(f"Live in {done.market} now and detected; the queue is down, the drop starts later.")
    return redirect(url_for("sandbox_console.clock", campaign=done.campaign_id))


@bp.post("/clock/next")
def send_next() -> ResponseReturnValue:
    """Move the next waiting countdown to now and queue it as the countdown tick would."""
    raw = request.form.get("campaign")
    try:
        with unit_of_work() as db:
            moved = sandbox_clock.send_next(db, raw, utcnow())
    except ValidationError as exc:
        return clock_page(raw if exc.field != "campaign" else None, exc, 400)
    queue_job(queues.MESSAGES, entry.plan_message, moved.message_id, job_id=moved.job_id)
    flash(f"Countdown {moved.template} goes out now.")
    return redirect(url_for("sandbox_console.clock", campaign=moved.campaign_id))


@bp.get("/clock/log.json")
def clock_log() -> ResponseReturnValue:
    """The live log's JSON (status and entries, newest first); never cached."""
    try:
        with unit_of_work() as db:
            campaign = sandbox_clock.chosen(db, request.args.get("campaign"))
            data = sandbox_clock_log.log(db, campaign) if campaign else {"entries": []}
    except ValidationError as exc:
        return jsonify({"error": str(exc), "field": exc.field}), 400
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
