"""The `presave` command: the one place that wires every role together."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from core import migrate, runtime
from core.db import transaction
from core.redis_conn import RedisStartError
from core.services import campaigns
from core.settings import Settings, SettingsError, load_settings
from core.validation import ValidationError

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input on the command line: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one `error:` line, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        """Raise `<field>: <problem>` instead of printing usage and exiting."""
        raise UsageError(argparse_field_message(message))


def argparse_field_message(message: str) -> str:
    """Rewrite argparse's wording so the line starts with the field it is about."""
    if message.startswith("argument "):
        return message.removeprefix("argument ")
    required = "the following arguments are required: "
    if message.startswith(required):
        return f"{message.removeprefix(required).split(',')[0]}: required"
    unknown = "unrecognized arguments: "
    if message.startswith(unknown):
        return f"{message.removeprefix(unknown).split()[0]}: not an option of this command"
    return f"arguments: {message}"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=False))


def _plural(count: int, noun: str) -> str:
    """`1 server`, `2 servers`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _print_campaign(data: dict[str, object]) -> None:
    counts = data["counts"]
    assert isinstance(counts, dict)
    lines = [
        f"{data['title']} by {data['artist']}  [{data['status']}]",
        f"  slug       {data['slug']}",
        f"  keyword    {data['keyword']}",
        f"  release    {data['release_at']} (artist time zone {data['timezone']})",
        f"  link       {data['link']}",
        f"  fans       {counts['fans']}",
    ]
    for name in ("consents", "presaves", "deliveries", "events", "sources"):
        part = counts[name]
        shown = ", ".join(f"{k} {v}" for k, v in sorted(part.items())) or "none"
        lines.append(f"  {name:<10} {shown}")
    drop = data.get("drop")
    if isinstance(drop, dict) and drop.get("detected_at"):
        lines.append(f"  detected   {drop['detected_at']} in {drop['detected_market']}")
        live = ", ".join(sorted(drop["markets"]))
        lines.append(f"  live in    {live}")
        pace = drop["saves_per_minute"]
        lines.append(f"  saves/min  peak {pace['peak']}, average {pace['average']}")
        slow = drop["slowest_market"]
        if slow:
            lines.append(
                f"  slowest    {slow['market'] or 'unknown market'}: last save "
                f"{slow['last_save_after_live_s']:.0f}s after it went live"
            )
    messages = data.get("messages")
    if isinstance(messages, list) and messages:
        lines.append(f"  messages   {len(messages)} (presave schedule list {data['slug']})")
        lines += [f"  {_message_line(row)}" for row in messages]
    discord = data.get("discord")
    if isinstance(discord, dict) and discord["servers"]:
        roles = ", ".join(f"{k} {v}" for k, v in sorted(discord["roles"].items())) or "none yet"
        posts = ", ".join(f"{k} {v}" for k, v in sorted(discord["posts"].items())) or "none yet"
        servers = _plural(len(discord["servers"]), "server")
        lines.append(f"  discord    {servers}; roles {roles}; posts {posts}")
        for server in discord["servers"]:
            if server["role_error"]:
                lines.append(f"  discord    server {server['guild_id']}: {server['role_error']}")
    quota = counts["quota_fans"]
    if quota:
        lines.append(
            f"  {_plural(quota, 'fan')} could not connect: the Spotify app is in development "
            "mode (5-user cap)"
        )
    print("\n".join(lines))


def cmd_campaign_create(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign create."""
    from core.timeutil import utcnow

    draft = campaigns.CampaignDraft(
        artist=args.artist,
        title=args.title,
        keyword=args.keyword,
        release_at=args.release_at,
        timezone=args.timezone,
        spotify_album_id=args.spotify_album_id,
        upc=args.upc,
        isrc=args.isrc,
        spotify_artist_id=args.spotify_artist_id,
        follow=not args.no_follow,
        force=args.force,
    )
    with transaction(settings.database_url) as session:
        campaign = campaigns.create_campaign(session, draft, utcnow())
        data = campaigns.campaign_json(session, campaign, settings.public_url)
    _print_json(data) if args.json else _print_campaign(data)
    return 0


def cmd_campaign_list(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign list."""
    with transaction(settings.database_url) as session:
        rows = [
            campaigns.campaign_json(session, c, settings.public_url)
            for c in campaigns.list_campaigns(session)
        ]
    if args.json:
        _print_json(rows)
    elif not rows:
        print("no campaigns yet: presave campaign create --help")
    else:
        for row in rows:
            print(f"{row['slug']:<40} {row['keyword']:<12} {row['release_at']}  {row['link']}")
    return 0


def cmd_campaign_show(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign show SLUG."""
    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        data = campaigns.campaign_json(session, campaign, settings.public_url)
    _print_json(data) if args.json else _print_campaign(data)
    return 0


def _start_drops(settings: Settings, campaign_id: int, markets: Sequence[str]) -> list[str]:
    """Start the fan-out once per newly live market, as the watch does."""
    if not markets:
        return []
    from workers.release_jobs import start_live

    return start_live(runtime.redis_client(settings), campaign_id, list(markets))


def _print_release(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(data)
        return
    lines = [
        f"{data['slug']}: looked up by {data['method']}" if data.get("method") else data["slug"]
    ]
    for row in data.get("results", []):
        shown = f"live, album {row['album_id']}" if row["live"] else "not live yet"
        lines.append(f"  {row['market']:<3} {shown}{' (new)' if row['new'] else ''}")
    drop = data["drop"]
    if drop["detected_at"]:
        lines.append(f"  detected {drop['detected_at']} in {drop['detected_market']}")
        lines.append(f"  live in  {', '.join(sorted(drop['markets']))}")
    if data["started"]:
        lines.append(f"  drop started for {', '.join(data['started'])}")
    missed = [m for m in data["new_markets"] if m not in data["started"]]
    if missed:
        lines.append(f"  drop not started for {', '.join(missed)} (see the log; reconcile retries)")
    print("\n".join(lines))


def cmd_release_check(settings: Settings, args: argparse.Namespace) -> int:
    """presave release check SLUG: look it up now; record and start the drop as the watch does."""
    from core.markets import market_code
    from core.providers import ProviderError
    from core.providers.spotify import app_from_settings
    from core.services import release_watch
    from core.timeutil import utcnow

    market = market_code(args.market, "--market") if args.market is not None else None
    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        target = release_watch.target_of(campaign)
        if target is None:
            raise ValidationError(
                "slug", "the campaign has no album id, UPC or ISRC; use presave release mark-live"
            )
        markets = [market] if market else release_watch.markets_to_check(session, campaign)
    app = app_from_settings(settings)
    if app is None:
        raise ValidationError("SPOTIFY_CLIENT_ID", "set it (and SPOTIFY_CLIENT_SECRET) to look up")
    try:
        lookups = [release_watch.lookup(app, target, m) for m in markets]
    except ProviderError as exc:
        print(f"error: spotify: {exc.detail or exc}", file=sys.stderr)
        return 1
    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        outcome = release_watch.apply(session, campaign, lookups, utcnow())
        drop = campaigns.campaign_drop(session, campaign)
    started = _start_drops(settings, target.campaign_id, outcome.new_markets)
    results = [
        {"market": r.market, "live": r.found, "album_id": r.album_id, "new": r.new}
        for r in outcome.lookups
    ]
    data = {"slug": args.slug, "method": target.method, "results": results, "drop": drop}
    data.update(new_markets=list(outcome.new_markets), started=started)
    _print_release(data, args.json)
    return 0


def cmd_release_mark_live(settings: Settings, args: argparse.Namespace) -> int:
    """presave release mark-live SLUG: the operator says it is live (identifiers were wrong)."""
    from core.markets import market_code
    from core.services import release_watch
    from core.timeutil import utcnow
    from core.validation import spotify_id

    album_id = spotify_id("album-id", args.album_id) if args.album_id is not None else None
    market = market_code(args.market, "--market") if args.market is not None else None
    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        album = album_id or campaign.release_album_id or campaign.spotify_album_id
        if album is None:
            raise ValidationError("album-id", "required: the campaign has no Spotify album id yet")
        new = release_watch.mark_live(
            session,
            campaign,
            album,
            market,
            utcnow(),
            correct_album=album_id is not None,
            force=args.force,
        )
        campaign_id, drop = campaign.id, campaigns.campaign_drop(session, campaign)
    started = _start_drops(settings, campaign_id, new)
    data = {"slug": args.slug, "method": "manual", "album_id": album, "drop": drop}
    data.update(new_markets=new, started=started)
    if not args.json and not new:
        print(f"{args.slug}: no new market recorded (already live there)")
    _print_release(data, args.json)
    return 0


def cmd_discord_allow(settings: Settings, args: argparse.Namespace) -> int:
    """presave discord allow SLUG GUILD_ID: the artist lets that server bind the campaign."""
    from core.services import discord_bindings

    guild = discord_bindings.guild_snowflake(args.guild_id)
    with transaction(settings.database_url) as session:
        created = discord_bindings.allow(session, campaigns.named(session, args.slug), guild)
    done = "allowed" if created else "already allowed"
    print(f"{args.slug}: server {guild} {done}; its admins can now run /presave-setup there")
    return 0


def cmd_discord_disallow(settings: Settings, args: argparse.Namespace) -> int:
    """presave discord disallow SLUG GUILD_ID: take the consent back."""
    from core.services import discord_bindings

    guild = discord_bindings.guild_snowflake(args.guild_id)
    with transaction(settings.database_url) as session:
        removed = discord_bindings.disallow(session, campaigns.named(session, args.slug), guild)
    if removed:
        print(f"{args.slug}: server {guild} disallowed; no new fans or drop post there")
    else:
        print(f"{args.slug}: server {guild} was not allowed; nothing changed")
    return 0


def cmd_discord_list(settings: Settings, args: argparse.Namespace) -> int:
    """presave discord list [SLUG]: the servers each campaign allows, and which are bound."""
    from core.services import discord_bindings

    with transaction(settings.database_url) as session:
        campaign_id = campaigns.named(session, args.slug).id if args.slug else None
        rows = discord_bindings.allowances(session, campaign_id)
    if args.json:
        _print_json(
            [
                {"slug": r.slug, "guild_id": r.guild_id, "allowed_at": r.allowed_at.isoformat()}
                | {"bound": r.bound}
                for r in rows
            ]
        )
        return 0
    if not rows:
        print("no server allowed yet: presave discord allow SLUG GUILD_ID")
    for r in rows:
        state = "bound" if r.bound else "not set up yet"
        print(f"{r.slug:<40} {r.guild_id:<20} {r.allowed_at.isoformat()}  {state}")
    return 0


def _segments_line(info: Any) -> str:
    return f"{info.segments} SMS segment{'s' if info.segments != 1 else ''} ({info.encoding})"


def cmd_templates_list(_settings: Settings, args: argparse.Namespace) -> int:
    """presave templates list."""
    from messages import catalog

    rows = [
        {"name": t.name, "description": t.description, "before": catalog.offset_text(t.offset),
         "channels": list(t.channels), "text": t.body}
        for t in catalog.builtins().values()
    ]  # fmt: skip
    if args.json:
        _print_json(rows)
        return 0
    for t in catalog.builtins().values():
        moment = f"{catalog.offset_text(t.offset)} before" if t.offset else "at the drop"
        print(f"{t.name:<14} {moment:<16} {','.join(t.channels):<12} {t.description}")
    return 0


def cmd_templates_preview(settings: Settings, args: argparse.Namespace) -> int:
    """presave templates preview NAME --campaign SLUG: the text for real fans."""
    from core.services.preview import preview
    from core.timeutil import utcnow

    with transaction(settings.database_url) as session:
        shown = preview(
            session, settings.public_url, settings.program_name, args.campaign, args.name,
            args.text, utcnow(),
        )  # fmt: skip
    if args.json:
        _print_json([
            {"fan": s.fan, "channel": s.channel, "text": s.text,
             "segments": s.segments.segments if s.segments else None}
            for s in shown
        ])  # fmt: skip
        return 0
    for s in shown:
        size = f"  [{_segments_line(s.segments)}]" if s.segments else ""
        print(f"{s.fan} ({s.channel}){size}\n  {s.text}\n")
    return 0


def _message_line(row: dict[str, Any]) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(row["deliveries"].items())) or "none yet"
    channels = ",".join(row["channels"])
    return (
        f"{row['id']:>5}  {row['send_at']}  {row['template']:<13} {channels:<12} "
        f"{row['status']:<10} deliveries: {counts}"
    )


def cmd_schedule_add(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule add SLUG --template NAME (--before 1d | --at ISO)."""
    from core.services import schedule
    from core.timeutil import utcnow

    request = schedule.Request(
        slug=args.slug, template=args.template, before=args.before, at=args.at,
        channels=args.channels, text=args.text,
    )  # fmt: skip
    with transaction(settings.database_url) as session:
        done = schedule.add(session, settings.public_url, settings.program_name, request, utcnow())
        message = done.message
        data = {
            "id": message.id, "kind": message.kind, "template": message.template,
            "send_at": message.send_at.isoformat(), "channels": message.channels.split(","),
            "segments": done.segments.segments if done.segments else None,
            "encoding": done.segments.encoding if done.segments else None,
            "warnings": done.warnings,
        }  # fmt: skip
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json(data)
        return 0
    when = "when the release is found live" if message.kind == "drop" else data["send_at"]
    size = f", {_segments_line(done.segments)}" if done.segments else ""
    print(f"message {data['id']}: {data['template']} {when} on {message.channels}{size}")
    return 0


def cmd_schedule_list(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule list SLUG."""
    from core.services import broadcast

    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        rows = broadcast.listing(session, campaign.id)
    if args.json:
        _print_json(rows)
    elif not rows:
        print(f"no messages yet: presave schedule add {args.slug} --template countdown-1d")
    else:
        print("\n".join(_message_line(row) for row in rows))
    return 0


def cmd_schedule_cancel(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule cancel ID."""
    from core.services import schedule

    with transaction(settings.database_url) as session:
        message, cancelled = schedule.cancel(session, args.id)
        message_id = message.id
    if args.json:
        _print_json({"id": message_id, "status": "cancelled", "deliveries_cancelled": cancelled})
    else:
        print(f"message {message_id} cancelled ({cancelled} waiting deliveries cancelled)")
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


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """presave db upgrade."""
    migrate.upgrade(settings.database_url)
    print(f"database at revision {migrate.head_revision()}")
    return 0


def _long_running() -> None:
    """Roles that run for hours log what they do (but not every provider request)."""
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


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


def cmd_discord_register(settings: Settings, _args: argparse.Namespace) -> int:
    """presave discord register: the slash commands, for HTTP interactions without a bot."""
    from bot.discord_bot import command_payloads
    from core.providers import ProviderError, discord_rest

    if not settings.discord_application_id:
        raise ValidationError("DISCORD_APPLICATION_ID", "set it to register the commands")
    try:
        api = discord_rest.client(settings)
        done = discord_rest.put_commands(
            api, settings.discord_application_id, command_payloads(settings)
        )
    except discord_rest.NotConfigured:
        raise ValidationError("DISCORD_BOT_TOKEN", "set it to register the commands") from None
    except ProviderError as exc:
        print(f"error: discord: {exc.detail or exc}", file=sys.stderr)
        return 1
    names = (
        [str(c.get("name")) for c in done if isinstance(c, dict)] if isinstance(done, list) else []
    )
    print(f"registered {len(names)} commands: {', '.join('/' + n for n in names)}")
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """presave up: every role, and the sandbox for providers without real credentials."""
    _long_running()
    from core.supervisor import run_all
    from sandbox.wiring import provider_env

    return run_all(settings, port=args.port, sandbox=provider_env)


E164_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_SMS_BODY = 1600


def _sandbox_base(settings: Settings) -> str:
    """The running sandbox: PRESAVE_SANDBOX_URL, or the one `presave up` started."""
    from core.supervisor import sandbox_file

    if settings.sandbox_url:
        return settings.sandbox_url
    try:
        found = json.loads(sandbox_file(settings).read_text())
    except (OSError, ValueError):
        found = None
    url = found.get("url") if isinstance(found, dict) else None
    if not isinstance(url, str):
        raise SandboxNotRunning("not running: start it with `presave up` (or `make run`)")
    return url


class SandboxNotRunning(Exception):
    """No sandbox to talk to."""


def _phone(value: str) -> str:
    phone = value.strip()
    if not E164_PHONE.match(phone):
        raise ValidationError("phone", "a number in E.164 form, e.g. +14155550101")
    return phone


def _sandbox_answer(ask: Callable[[], tuple[int, Any]]) -> Any:
    """The sandbox's JSON answer; its 400 is a usage error, anything else not 200 a failure."""
    from sandbox.client import SandboxUnreachable

    try:
        status, data = ask()
    except SandboxUnreachable as exc:
        raise SandboxNotRunning(str(exc)) from None
    if status == 400:
        raise ValidationError("sandbox", str(data.get("error") if isinstance(data, dict) else data))
    if status != 200:
        problem = data.get("error") if isinstance(data, dict) else data
        raise SandboxNotRunning(f"answered {status}: {problem}")
    return data


def _conversation_line(message: dict[str, Any]) -> str:
    inbound = message.get("direction") == "inbound"
    who = f"{message['from']} ->" if inbound else f"   -> {message['to']}"
    return f"{message['date_created']}  {who}  [{message['status']}]  {message['body']}"


def cmd_sandbox_text(settings: Settings, args: argparse.Namespace) -> int:
    """presave sandbox text PHONE BODY: a fan texts our number (delivered to our webhook)."""
    from sandbox import client

    phone = _phone(args.phone)
    body = args.body.strip()
    if not body or len(body) > MAX_SMS_BODY:
        raise ValidationError("text", f"1 to {MAX_SMS_BODY} characters")
    data = _sandbox_answer(lambda: client.text_us(_sandbox_base(settings), phone, body))
    if args.json:
        _print_json(data)
        return 0
    print(f"{phone} -> {body}")
    for reply in data["replies"]:
        print(f"   <- {reply['body']}")
    if not data["replies"]:
        print("   (no reply)")
    return 0


def cmd_sandbox_messages(settings: Settings, args: argparse.Namespace) -> int:
    """presave sandbox messages PHONE: the conversation with that phone, oldest first."""
    from sandbox import client

    phone = _phone(args.phone)
    data = _sandbox_answer(lambda: client.conversation(_sandbox_base(settings), phone))
    if args.json:
        _print_json(data["messages"])
    elif not data["messages"]:
        print(f"no messages to or from {phone} yet")
    else:
        print("\n".join(_conversation_line(m) for m in data["messages"]))
    return 0


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """presave web: the web role under gunicorn."""
    from core.supervisor import gunicorn_argv

    os.execv(sys.executable, gunicorn_argv(args.port, args.workers))


def build_parser() -> Parser:
    """Every subcommand and flag."""
    parser = Parser(prog="presave", description="Drop-day fan messaging.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    up = sub.add_parser(
        "up", help="run web, worker, clock (and bot, or the sandbox) in the foreground"
    )
    up.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
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
    discord = sub.add_parser("discord", help="the Discord application").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    discord.add_parser(
        "register", help="register the slash commands (for HTTP interactions without the bot)"
    ).set_defaults(func=cmd_discord_register)
    for name, func, says in (
        ("allow", cmd_discord_allow, "let a server bind a campaign (/presave-setup)"),
        ("disallow", cmd_discord_disallow, "take that back"),
    ):
        consent = discord.add_parser(name, help=says)
        consent.add_argument("slug")
        consent.add_argument("guild_id", metavar="GUILD_ID", help="the server id (17-20 digits)")
        consent.set_defaults(func=func)
    dlist = discord.add_parser("list", help="the servers allowed to bind each campaign")
    dlist.add_argument("slug", nargs="?")
    dlist.add_argument("--json", action="store_true")
    dlist.set_defaults(func=cmd_discord_list)

    sandbox = sub.add_parser(
        "sandbox", help="the local stand-ins `presave up` runs without credentials"
    ).add_subparsers(dest="subcommand", required=True, parser_class=Parser)
    stext = sandbox.add_parser("text", help="a fan texts our number (delivered to our webhook)")
    stext.add_argument("phone", help="the fan's number, e.g. +14155550101")
    stext.add_argument("body", help="what they text, e.g. the campaign keyword")
    stext.add_argument("--json", action="store_true")
    stext.set_defaults(func=cmd_sandbox_text)
    smessages = sandbox.add_parser("messages", help="the texts to and from one phone")
    smessages.add_argument("phone")
    smessages.add_argument("--json", action="store_true")
    smessages.set_defaults(func=cmd_sandbox_messages)

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

    campaign = sub.add_parser("campaign", help="campaigns").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    create = campaign.add_parser("create", help="create a campaign")
    create.add_argument("--artist")
    create.add_argument("--title")
    create.add_argument("--keyword")
    create.add_argument("--release-at", dest="release_at")
    create.add_argument("--timezone")
    create.add_argument("--spotify-album-id", dest="spotify_album_id")
    create.add_argument("--upc")
    create.add_argument("--isrc")
    create.add_argument("--spotify-artist-id", dest="spotify_artist_id")
    create.add_argument("--no-follow", action="store_true", help="do not follow the artist")
    create.add_argument("--force", action="store_true", help="take a release time in the past")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_campaign_create)
    listing = campaign.add_parser("list", help="list campaigns")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_campaign_list)
    show = campaign.add_parser("show", help="one campaign and its counts")
    show.add_argument("slug")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_campaign_show)

    templates = sub.add_parser("templates", help="message templates").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    tlist = templates.add_parser("list", help="the templates a message can be scheduled from")
    tlist.add_argument("--json", action="store_true")
    tlist.set_defaults(func=cmd_templates_list)
    tpreview = templates.add_parser("preview", help="a template as the campaign's fans get it")
    tpreview.add_argument("name")
    tpreview.add_argument("--campaign", required=True, help="the campaign's slug")
    tpreview.add_argument("--text", help="your own text instead of the template's")
    tpreview.add_argument("--json", action="store_true")
    tpreview.set_defaults(func=cmd_templates_preview)

    sched = sub.add_parser("schedule", help="countdown messages").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    sadd = sched.add_parser("add", help="schedule a message from a template")
    sadd.add_argument("slug")
    sadd.add_argument("--template", required=True, help="see presave templates list")
    moment = sadd.add_mutually_exclusive_group()
    moment.add_argument(
        "--before", help="before the release: 7d, 1d, 1h, 30m (default: the template's)"
    )
    moment.add_argument("--at", help="an ISO 8601 time with a UTC offset, or now")
    sadd.add_argument("--channels", help="sms, discord or sms,discord (default: the template's)")
    sadd.add_argument("--text", help="your own text (the template's variables in {{ }})")
    sadd.add_argument("--json", action="store_true")
    sadd.set_defaults(func=cmd_schedule_add)
    slist = sched.add_parser("list", help="a campaign's messages and their deliveries")
    slist.add_argument("slug")
    slist.add_argument("--json", action="store_true")
    slist.set_defaults(func=cmd_schedule_list)
    scancel = sched.add_parser("cancel", help="cancel a message (what is still waiting)")
    scancel.add_argument("id")
    scancel.add_argument("--json", action="store_true")
    scancel.set_defaults(func=cmd_schedule_cancel)

    release = sub.add_parser("release", help="drop day: is the release live?").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    check = release.add_parser("check", help="look the release up now (records what it finds)")
    check.add_argument("slug")
    check.add_argument("--market", help="one market (default: the fan markets still missing)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_release_check)
    mark = release.add_parser("mark-live", help="record the release as live by hand")
    mark.add_argument("slug")
    mark.add_argument("--album-id", dest="album_id", help="the right album (replaces the known)")
    where = mark.add_mutually_exclusive_group()
    where.add_argument("--market", help="one market")
    where.add_argument("--all-markets", action="store_true", help="every fan market (default)")
    mark.add_argument(
        "--force", action="store_true", help="mark it live more than 26 hours before release"
    )
    mark.add_argument("--json", action="store_true")
    mark.set_defaults(func=cmd_release_mark_live)
    return parser


def refuse_undecodable(argv: Sequence[str], parsed: dict[str, Any]) -> None:
    """UsageError naming the first argument that is not UTF-8 (Python keeps its bytes as
    lone surrogates, which nothing downstream can print or store)."""
    for index, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            flag, sep, _ = arg.partition("=")
            before = argv[index - 1] if index else ""
            named = [dest for dest, value in parsed.items() if value == arg]
            if sep and flag.startswith("--"):
                field = flag
            elif before.startswith("--"):
                field = before
            else:
                field = named[0] if named else f"argument {index + 1}"
            raise UsageError(
                f"{field}: not valid UTF-8 text (check the terminal's encoding)"
            ) from None


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
    except UsageError as exc:
        return _fail(str(exc))
    except ValidationError as exc:
        return _fail(str(exc))
    except SettingsError as exc:
        return _fail(str(exc))
    except SandboxNotRunning as exc:
        print(f"error: sandbox: {exc}", file=sys.stderr)
        return 1
    except RedisStartError as exc:
        print(f"error: redis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
