"""presave templates list|preview."""

from __future__ import annotations

import argparse

from cli.output import Group, Parser, print_json, segments_line
from core.db import transaction
from core.settings import Settings


def cmd_templates_list(_settings: Settings, args: argparse.Namespace) -> int:
    """presave templates list."""
    from core.services.template_choices import choices

    found = choices()
    if args.json:
        print_json([
            {"name": t.name, "description": t.description, "before": t.before,
             "channels": list(t.channels), "text": t.text}
            for t in found
        ])  # fmt: skip
        return 0
    for t in found:
        moment = "at the drop" if t.before == "0" else f"{t.before} before"
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
        print_json([
            {"fan": s.fan, "channel": s.channel, "text": s.text,
             "segments": s.segments.segments if s.segments else None}
            for s in shown
        ])  # fmt: skip
        return 0
    for s in shown:
        size = f"  [{segments_line(s.segments)}]" if s.segments else ""
        print(f"{s.fan} ({s.channel}){size}\n  {s.text}\n")
    return 0


def register(sub: Group) -> None:
    """The `templates` subcommands."""
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
