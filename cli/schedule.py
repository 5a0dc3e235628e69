"""presave schedule add|list|cancel: the countdown messages."""

from __future__ import annotations

import argparse
import sys

from cli.output import Group, Parser, message_line, print_json, segments_line
from core.db import transaction
from core.services import campaigns
from core.settings import Settings


def cmd_schedule_add(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule add SLUG --template NAME (--before 1d | --at ISO)."""
    from core.services import schedule, send_plan
    from core.timeutil import utcnow

    request = schedule.Request(
        slug=args.slug, template=args.template, before=args.before, at=args.at,
        channels=args.channels, text=args.text,
    )  # fmt: skip
    with transaction(settings.database_url) as session:
        done = schedule.add(
            session, settings.public_url, settings.program_name, request, utcnow(),
            settings.twilio_mps_override,
        )  # fmt: skip
        message = done.message
        data = {
            "id": message.id, "kind": message.kind, "template": message.template,
            "send_at": message.send_at.isoformat(), "channels": message.channels.split(","),
            "segments": done.segments.segments if done.segments else None,
            "encoding": done.segments.encoding if done.segments else None,
            "warnings": done.warnings,
            "sms_send": None if done.plan is None else {
                "fans": done.plan.fans, "mps": done.plan.rate, "seconds": done.plan.seconds,
                "finish": done.plan.finish.isoformat(),
            },
        }  # fmt: skip
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print_json(data)
        return 0
    when = "when the release is found live" if message.kind == "drop" else data["send_at"]
    size = f", {segments_line(done.segments)}" if done.segments else ""
    print(f"message {data['id']}: {data['template']} {when} on {message.channels}{size}")
    if done.plan is not None and done.plan.fans:
        print(f"SMS send: {send_plan.summary(done.plan)}")
    return 0


def cmd_schedule_list(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule list SLUG."""
    from core.services import broadcast

    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        rows = broadcast.listing(session, campaign.id)
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"no messages yet: presave schedule add {args.slug} --template countdown-1d")
    else:
        print("\n".join(message_line(row) for row in rows))
    return 0


def cmd_schedule_cancel(settings: Settings, args: argparse.Namespace) -> int:
    """presave schedule cancel ID."""
    from core.services import schedule

    with transaction(settings.database_url) as session:
        message, cancelled = schedule.cancel(session, args.id)
        message_id = message.id
    if args.json:
        print_json({"id": message_id, "status": "cancelled", "deliveries_cancelled": cancelled})
    else:
        print(f"message {message_id} cancelled ({cancelled} waiting deliveries cancelled)")
    return 0


def register(sub: Group) -> None:
    """The `schedule` subcommands."""
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
