"""presave discord register|allow|disallow|list: the Discord application and its servers."""

from __future__ import annotations

import argparse
import sys

from cli.output import Group, Parser, print_json
from core.db import transaction
from core.services import campaigns
from core.settings import Settings
from core.validation import ValidationError


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
        print_json(
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


def register(sub: Group) -> None:
    """The `discord` subcommands."""
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
