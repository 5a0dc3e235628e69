"""The `presave` command: the one place that wires every role together.

One module per command group; each adds its subcommands to the parser (`register`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from cli import campaign, db, discord, release, roles, sandbox, schedule, templates, user
from cli import stats as stats_cli
from cli.output import Parser, UsageError, fail, refuse_undecodable
from core.redis_conn import RedisStartError
from core.sandbox_address import SandboxNotRunning
from core.settings import Settings, SettingsError, load_settings
from core.validation import ValidationError

# In the order `presave --help` lists them.
GROUPS = (roles, discord, sandbox, db, user, campaign, templates, schedule, release, stats_cli)


def build_parser() -> Parser:
    """Every subcommand and flag."""
    parser = Parser(prog="presave", description="Drop-day fan messaging.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        given = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(given)
        refuse_undecodable(given, vars(args))
        settings = load_settings()
        func: Callable[[Settings, argparse.Namespace], int] = args.func
        return func(settings, args)
    except (UsageError, ValidationError, SettingsError) as exc:
        return fail(str(exc))
    except SandboxNotRunning as exc:
        print(f"error: sandbox: {exc}", file=sys.stderr)
        return 1
    except RedisStartError as exc:
        print(f"error: redis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
