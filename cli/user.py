"""presave user create|reset-link: artist-app accounts and their one-time links."""

from __future__ import annotations

import argparse

from cli.output import Group, Parser, UsageError
from core.db import transaction
from core.services import accounts
from core.settings import Settings


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    """presave user create: the account, its team, and a one-time sign-in link."""
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, args.email, args.team, args.role)
        email = user.email
    print(f"{email} is {args.role} of {args.team.strip()}. One-time sign-in link (24 hours):")
    print(f"{settings.public_url}/app/sign-in/{raw}")
    return 0


def cmd_user_reset_link(settings: Settings, args: argparse.Namespace) -> int:
    """presave user reset-link EMAIL: a one-time password reset link."""
    try:
        with transaction(settings.database_url) as session:
            raw = accounts.reset_token(session, args.email)
    except accounts.UnknownUser as exc:
        raise UsageError(f"email: {exc.args[0]}") from None
    print("One-time password reset link (1 hour):")
    print(f"{settings.public_url}/app/reset/{raw}")
    return 0


def register(sub: Group) -> None:
    """The `user` subcommands."""
    user = sub.add_parser("user", help="artist web app accounts").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    create = user.add_parser("create", help="create an account and print its sign-in link")
    create.add_argument("--email", required=True)
    create.add_argument("--team", required=True, help="created when missing")
    create.add_argument("--role", choices=accounts.ROLES, default="owner")
    create.set_defaults(func=cmd_user_create)
    reset = user.add_parser("reset-link", help="print a one-time password reset link")
    reset.add_argument("email")
    reset.set_defaults(func=cmd_user_reset_link)
