"""presave up|web|worker|clock|bot: the long-running roles."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from cli.output import Group
from core import runtime
from core.settings import Settings
from core.validation import ValidationError


def _long_running() -> None:
    """Roles that run for hours log what they do (but not every provider request)."""
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """presave up: every role, and the sandbox for providers without real credentials."""
    _long_running()
    from cli.migrate import upgrade
    from core.supervisor import run_all
    from sandbox.wiring import provider_env

    return run_all(
        settings, port=args.port, migrate=upgrade, sandbox=provider_env, demo=not args.no_demo
    )


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """presave web: the web role under gunicorn."""
    from core.supervisor import gunicorn_argv

    os.execv(sys.executable, gunicorn_argv(args.port, args.workers))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """presave worker."""
    _long_running()
    from workers.runner import run_worker

    ok = run_worker(runtime.redis_client(settings), burst=args.burst)
    return 0 if ok or not args.burst else 1


def cmd_clock(settings: Settings, _args: argparse.Namespace) -> int:
    """presave clock."""
    _long_running()
    from workers import clock

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    clock.run(runtime.redis_client(settings), stop)
    return 0


def cmd_bot(settings: Settings, _args: argparse.Namespace) -> int:
    """presave bot."""
    _long_running()
    if not settings.discord_bot_token:
        raise ValidationError("DISCORD_BOT_TOKEN", "set it to run the Discord bot")
    if not settings.gateway_bot:
        raise ValidationError(
            "DISCORD_API_BASE", "the real Discord's (a stand-in has no gateway for the bot)"
        )
    from bot.discord_bot import run_bot

    run_bot(settings)
    return 0


def register(sub: Group) -> None:
    """up, web, worker, clock and bot."""
    up = sub.add_parser(
        "up", help="run web, worker, clock (and bot, or the sandbox) in the foreground"
    )
    up.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    up.add_argument(
        "--no-demo", action="store_true", help="in sandbox mode, do not seed the demo campaign"
    )
    up.set_defaults(func=cmd_up)

    web = sub.add_parser("web", help="run the web role under gunicorn")
    web.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    web.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    web.set_defaults(func=cmd_web)

    worker = sub.add_parser("worker", help="run an RQ worker with its scheduler")
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("clock", help="enqueue periodic jobs").set_defaults(func=cmd_clock)
    sub.add_parser("bot", help="run the Discord bot").set_defaults(func=cmd_bot)
