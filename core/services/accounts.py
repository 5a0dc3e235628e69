"""Artist accounts: users, passwords, teams and memberships, one-time links."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import validation
from core.models import Membership, OneTimeToken, Team, User
from core.services import audit, one_time_links
from core.services.one_time_links import INVITE, RESET, SIGN_IN, LinkRefused
from core.timeutil import utcnow
from core.validation import ValidationError

ROLES = ("owner", "member")
PASSWORD_MIN, PASSWORD_MAX = 10, 256
EMAIL_MAX = 254
# Deliberately simple: one @, a dot in the domain, no spaces; the link we send proves the rest.
EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")
HASHER = PasswordHasher()

__all__ = ["LinkRefused", "ValidationError"]


class NotAnOwner(PermissionError):
    """Only a team's owners may invite people."""


class UnknownUser(LookupError):
    """No account has that email."""


class WrongPassword(PermissionError):
    """The password does not match the account (an invite accepted for an existing email)."""


@dataclass(frozen=True)
class TeamRole:
    """A team a user belongs to and their role in it."""

    team_id: int
    team_name: str
    role: str


@dataclass(frozen=True)
class Account:
    """A signed-in person and their teams (oldest membership first), as the web app keeps them."""

    id: int
    email: str
    teams: tuple[TeamRole, ...] = ()
    # Changes with the password: a session holding the old one is signed out.
    stamp: str = ""


@dataclass(frozen=True)
class Member:
    """A person in a team."""

    user_id: int
    email: str
    role: str
    last_sign_in_at: datetime | None


def clean_email(value: str | None) -> str:
    """The address lowercased and trimmed; ValidationError naming `email` otherwise."""
    email = (value or "").strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email):
        raise ValidationError("email", "an email address such as name@example.com")
    return email


def check_password(value: str | None) -> str:
    """The password as typed, if the policy takes it; ValidationError naming `password`."""
    password = value or ""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError("password", f"{PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return password


def check_role(value: str | None) -> str:
    """'owner' or 'member'."""
    if value not in ROLES:
        raise ValidationError("role", "owner or member")
    return value


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the account is missing, so both cost the same."""
    return HASHER.hash("not-a-password-of-anyone")


def by_email(session: Session, email: str) -> User | None:
    """The user with that (already cleaned) email."""
    return session.scalar(select(User).where(User.email == email))


def load_account(session: Session, user_id: int) -> Account | None:
    """The account for a session's user id (None when deleted)."""
    user = session.get(User, user_id)
    if user is None:
        return None
    stamp = hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]
    teams = tuple(memberships(session, user.id))
    return Account(id=user.id, email=user.email, teams=teams, stamp=stamp)


def sign_in(session: Session, email: str, password: str) -> Account | None:
    """The account when the email and password match (see `authenticate`), else None."""
    user = authenticate(session, email, password)
    return None if user is None else load_account(session, user.id)


def check_link(session: Session, raw_token: str, purpose: str) -> OneTimeToken:
    """The link's row if it can still be used, without using it (LinkRefused otherwise)."""
    return one_time_links.check(session, raw_token, purpose)


def _team_named(session: Session, name: str) -> Team:
    """The team called `name`, created when missing."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def team_by_name(session: Session, name: str) -> Team | None:
    """The team called `name`, if there is one."""
    return session.scalar(select(Team).where(Team.name == name.strip()))


def _join(session: Session, team_id: int, user_id: int, role: str) -> None:
    """Add the membership unless the user is in the team already."""
    exists = session.scalar(
        select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == user_id)
    )
    if exists is None:
        session.add(Membership(team_id=team_id, user_id=user_id, role=role))
        session.flush()


def create_user(
    session: Session, email: str, team_name: str, role: str = "owner"
) -> tuple[User, str]:
    """The user (created when new) in the team (created when missing) with `role`, and a raw
    one-time sign-in token valid 24 hours."""
    email = clean_email(email)
    name = validation.text("team", team_name, max_len=100)
    role = check_role(role)
    user = by_email(session, email)
    if user is None:
        user = User(email=email)
        session.add(user)
        session.flush()
    _join(session, _team_named(session, name).id, user.id, role)
    return user, one_time_links.issue(session, SIGN_IN, user_id=user.id)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user when the password matches, else None; the time taken does not say which
    emails have accounts."""
    try:
        user = by_email(session, clean_email(email))
    except ValidationError:
        user = None
    stored = user.password_hash if user is not None else None
    try:
        HASHER.verify(stored or _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None:
        return None
    if HASHER.check_needs_rehash(stored):
        user.password_hash = HASHER.hash(password)
    user.last_sign_in_at = utcnow()
    session.flush()
    return user


def set_password(session: Session, user_id: int, password: str) -> None:
    """Replace the user's password (policy checked)."""
    user = session.get(User, user_id)
    if user is None:
        raise UnknownUser(f"no user {user_id}")
    user.password_hash = HASHER.hash(check_password(password))
    session.flush()


def use_sign_in_link(session: Session, raw_token: str, password: str, purpose: str) -> User:
    """Use a sign-in or reset link: set the password and sign the user in."""
    check_password(password)  # before the link is spent: a refused password keeps it usable
    row = one_time_links.redeem(session, raw_token, purpose)
    assert row.user_id is not None
    set_password(session, row.user_id, password)
    user = session.get(User, row.user_id)
    assert user is not None
    user.last_sign_in_at = utcnow()
    return user


def reset_token(session: Session, email: str) -> str:
    """A raw password-reset token for the account (valid 1 hour)."""
    user = by_email(session, clean_email(email))
    if user is None:
        raise UnknownUser(f"no account has the email {email.strip().lower()}")
    return one_time_links.issue(session, RESET, user_id=user.id)


def role_in(session: Session, team_id: int, user_id: int) -> str | None:
    """The user's role in the team, None when not a member."""
    return session.scalar(
        select(Membership.role).where(Membership.team_id == team_id, Membership.user_id == user_id)
    )


def invite_token(session: Session, team_id: int, by_user_id: int, role: str) -> str:
    """A raw invite token into the team (valid 7 days); only owners may make one."""
    role = check_role(role)
    if role_in(session, team_id, by_user_id) != "owner":
        raise NotAnOwner("only the team's owners can invite people")
    raw = one_time_links.issue(session, INVITE, team_id=team_id, role=role, created_by=by_user_id)
    audit.record(session, team_id, by_user_id, "invited", detail=f"invite link for a {role}")
    return raw


def redeem(session: Session, raw_token: str, purpose: str) -> OneTimeToken:
    """Use a one-time link once (see one_time_links.redeem)."""
    return one_time_links.redeem(session, raw_token, purpose)


def accept_invite(session: Session, raw_token: str, email: str, password: str) -> User:
    """Join the team of the invite: a new account is created with the password; an existing
    one must give its own password."""
    email, password = clean_email(email), check_password(password)
    user = by_email(session, email)
    if user is not None and authenticate(session, email, password) is None:
        raise WrongPassword("that email has an account: enter its password to join")
    row = one_time_links.redeem(session, raw_token, INVITE)
    assert row.team_id is not None and row.role is not None
    if user is None:
        user = User(email=email, password_hash=HASHER.hash(password), last_sign_in_at=utcnow())
        session.add(user)
        session.flush()
    _join(session, row.team_id, user.id, row.role)
    audit.record(session, row.team_id, user.id, "member_joined", detail=email)
    return user


def memberships(session: Session, user_id: int) -> list[TeamRole]:
    """The user's teams, oldest membership first."""
    rows = session.execute(
        select(Membership.team_id, Team.name, Membership.role)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [TeamRole(team_id=t, team_name=n, role=r) for t, n, r in rows]


def team_members(session: Session, team_id: int) -> list[Member]:
    """The team's people, owners first."""
    rows = session.execute(
        select(User.id, User.email, Membership.role, User.last_sign_in_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id)
        .order_by(Membership.role.desc(), User.email)
    )
    return [Member(user_id=u, email=e, role=r, last_sign_in_at=s) for u, e, r, s in rows]
