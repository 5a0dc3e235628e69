"""presave db upgrade and presave keys rotate: what is stored, and how."""

from __future__ import annotations

import argparse
import sys

from cli import migrate
from cli.output import Group, Parser
from core.db import transaction
from core.settings import Settings


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """presave db upgrade."""
    migrate.upgrade(settings.database_url)
    print(f"database at revision {migrate.head_revision()}")
    return 0


def cmd_keys_rotate(settings: Settings, _args: argparse.Namespace) -> int:
    """presave keys rotate: re-encrypt every stored token with the newest key."""
    from core.crypto import TokenCipher, UndecryptableToken
    from core.services.grants import rotate_keys

    try:
        with transaction(settings.database_url) as session:
            count = rotate_keys(session, TokenCipher(settings.token_encryption_keys))
    except UndecryptableToken:
        print(
            "error: TOKEN_ENCRYPTION_KEY: a stored token matches none of the keys; "
            "add back the key it was encrypted with (after the new one)",
            file=sys.stderr,
        )
        return 1
    print(f"re-encrypted {count} tokens with the newest key")
    return 0


def register(sub: Group) -> None:
    """The `db` and `keys` subcommands."""
    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)

    keys = sub.add_parser("keys", help="token encryption keys").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    keys.add_parser("rotate", help="re-encrypt stored tokens with the newest key").set_defaults(
        func=cmd_keys_rotate
    )
