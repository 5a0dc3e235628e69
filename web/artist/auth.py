"""Signing in and out, one-time links (sign-in, reset, invite): blueprint `artist_auth`."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from core import queues, runtime
from core.services import accounts
from core.services.one_time_links import INVITE, RESET, SIGN_IN, LinkRefused, UnknownLink
from web.artist.context import end_session, go, safe_next, start_session
from web.artist.forms import AcceptInviteForm, ForgotForm, SetPasswordForm, SignInForm
from web.artist.pages import artist_error
from web.page_support import page, settings, unit_of_work
from workers import entry

bp = Blueprint("artist_auth", __name__)
log = logging.getLogger(__name__)
FORGOT = "artist/forgot.html"
NO_MATCH = "That email and password don't match an account. Check both and try again."
HOME = "artist_campaigns.campaign_list"


def show(template: str, form: FlaskForm, **context: object) -> ResponseReturnValue:
    """A form page: 400 when it came back with errors, 200 the first time."""
    return page(template, 400 if form.is_submitted() else 200, form=form, **context)


def refused(exc: LinkRefused) -> ResponseReturnValue:
    """The page for a link that cannot be used (unknown: 404; used or expired: 410)."""
    code = 404 if isinstance(exc, UnknownLink) else 410
    return artist_error(code, "This link can't be used", str(exc))


def welcome(account: accounts.Account | None, message: str, team_id: int | None = None) -> None:
    """Sign in after a link was used."""
    assert account is not None
    start_session(account, team_id)
    flash(message)


@bp.route("/app/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Email and password; rate-limited per address and per email (see register)."""
    if current_user.is_authenticated and not SignInForm().is_submitted():
        return go(HOME)
    form = SignInForm()
    if not form.validate_on_submit():
        return show("artist/sign_in.html", form)
    with unit_of_work() as db:
        account = accounts.sign_in(db, form.email.data or "", form.password.data or "")
    if account is None:
        return page("artist/sign_in.html", 401, form=form, form_error=NO_MATCH)
    start_session(account)
    return redirect(safe_next(url_for(HOME)))


@bp.route("/app/forgot", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a reset link by email (SMTP_URL set); the answer is the same whether or not
    an account uses the address: the job looks it up. Without SMTP, who to ask instead."""
    form, mails = ForgotForm(), settings().smtp_url is not None
    if not mails or not form.validate_on_submit():
        return page(FORGOT, 400 if mails and form.is_submitted() else 200, form=form, mails=mails)
    queued = queue_reset_mail(form.email.data or "")
    return page(FORGOT, 200 if queued else 503, form=form, mails=True, asked=True, queued=queued)


def queue_reset_mail(email: str) -> bool:
    """Queue the reset mail's job; False when the job queue (Redis) can't be reached."""
    try:
        queue = queues.queue(queues.DEFAULT, runtime.redis_client(settings()))
        queue.enqueue(entry.send_password_reset, email)
    except (redis.RedisError, OSError) as exc:
        log.warning("password reset mail not queued: the job queue can't be reached (%s)", exc)
        return False
    return True


@bp.post("/app/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out (a POST, so CSRFProtect has checked the form's token)."""
    end_session()
    flash("You're signed out.")
    return go("artist_auth.sign_in")


def password_link(token: str, purpose: str, heading: str) -> ResponseReturnValue:
    """A sign-in or reset link: GET shows the password form, POST sets it and signs in."""
    form = SetPasswordForm()
    try:
        with unit_of_work() as db:
            accounts.check_link(db, token, purpose)
            if not form.validate_on_submit():
                return show("artist/set_password.html", form, heading=heading)
            user = accounts.use_sign_in_link(db, token, form.password.data or "", purpose)
            account = accounts.load_account(db, user.id)
    except LinkRefused as exc:
        return refused(exc)
    welcome(account, "Your password is set and you're signed in.")
    return go(HOME)


@bp.route("/app/sign-in/<token>", methods=["GET", "POST"])
def sign_in_link(token: str) -> ResponseReturnValue:
    """The one-time link `presave user create` prints."""
    return password_link(token, SIGN_IN, "Welcome: choose your password")


@bp.route("/app/reset/<token>", methods=["GET", "POST"])
def reset_link(token: str) -> ResponseReturnValue:
    """The one-time link `presave user reset-link` prints."""
    return password_link(token, RESET, "Choose a new password")


@bp.route("/app/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    """Join a team: a new account, or an existing one with its own password."""
    form = AcceptInviteForm()
    try:
        with unit_of_work() as db:
            invite = accounts.check_link(db, token, INVITE)
            if not form.validate_on_submit():
                return show("artist/invite.html", form)
            email, password = form.email.data or "", form.password.data or ""
            user = accounts.accept_invite(db, token, email, password)
            account, team_id = accounts.load_account(db, user.id), invite.team_id
    except LinkRefused as exc:
        return refused(exc)
    except accounts.WrongPassword as exc:
        return page("artist/invite.html", 401, form=form, form_error=f"{exc}.")
    welcome(account, "Welcome to the team.", team_id)
    return go(HOME)
