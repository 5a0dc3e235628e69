"""Who is signed in, which team they are working in, and the team's campaign or a 404."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TypeVar, cast

import flask_login
from flask import abort, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core.services import accounts, tenancy
from core.services.tenancy import Campaign
from web.page_support import unit_of_work

TEAM_KEY = "team_id"
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def login_required(view: View) -> View:
    """Flask-Login's login_required, typed: signed-out visitors go to the sign-in page."""
    return cast(View, flask_login.login_required(view))


class SignedIn(UserMixin):
    """The signed-in account as Flask-Login sees it."""

    def __init__(self, account: accounts.Account) -> None:
        self.account = account
        self.id = account.id
        self.email = account.email
        self.teams = account.teams

    def get_id(self) -> str:
        """What the session keeps: the id and the password stamp."""
        return f"{self.id}:{self.account.stamp}"

    def team_ids(self) -> list[int]:
        """Ids of the user's teams, oldest membership first."""
        return [team.team_id for team in self.teams]

    def role(self, team_id: int) -> str | None:
        """The user's role in the team."""
        return next((t.role for t in self.teams if t.team_id == team_id), None)


def load_user(session_id: str) -> SignedIn | None:
    """Flask-Login's loader: the account behind the session, unless its password changed
    since the session began (a reset signs out every other browser)."""
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with unit_of_work() as db:
        account = accounts.load_account(db, int(user_id))
    if account is None or not hmac.compare_digest(account.stamp, stamp):
        return None
    return SignedIn(account)


def start_session(account: accounts.Account, team_id: int | None = None) -> None:
    """Sign the account in (a fresh session) working in `team_id` or its first team."""
    session.clear()
    login_user(SignedIn(account))
    teams = [t.team_id for t in account.teams]
    chosen = team_id if team_id in teams else (teams[0] if teams else None)
    if chosen is not None:
        session[TEAM_KEY] = chosen


def end_session() -> None:
    """Sign out and forget everything the session held."""
    logout_user()
    session.clear()


def current_user_id() -> int:
    """The signed-in user's id (views are @login_required)."""
    return int(current_user.id)


def current_team_id() -> int:
    """The team the user is working in; 403 when they belong to none any more."""
    teams: list[int] = current_user.team_ids()
    chosen = session.get(TEAM_KEY)
    if chosen in teams:
        return int(chosen)
    if not teams:
        abort(403)
    session[TEAM_KEY] = teams[0]
    return teams[0]


def switch_team(team_id: int) -> bool:
    """Work in another of the user's teams; False when they are not in it."""
    if team_id not in current_user.team_ids():
        return False
    session[TEAM_KEY] = team_id
    return True


def campaign_or_404(db: Session, campaign_id: int) -> Campaign:
    """The current team's campaign, or a 404 (another team's campaign does not exist here)."""
    try:
        return tenancy.team_campaign(db, current_team_id(), campaign_id)
    except tenancy.NotInTeam:
        abort(404)


def safe_next(default: str) -> str:
    """Where to go after signing in: a path of this site only, else `default`."""
    target = request.args.get("next") or ""
    plain = target.isprintable() and " " not in target and "\\" not in target
    if plain and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def go(endpoint: str) -> Response:
    """A redirect to one of our endpoints (one without URL parameters)."""
    return redirect(url_for(endpoint))
