"""presave stats rebuild: recompute the funnel rollups from the event log."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

from cli.output import Group, Parser, plural, print_json
from core.db import transaction
from core.services import campaigns, funnel_rebuild
from core.settings import Settings


def cmd_stats_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """presave stats rebuild [--campaign SLUG]: replace the rollups with their recomputation."""
    start = time.perf_counter()
    with transaction(settings.database_url) as session:
        campaign_id = campaigns.named(session, args.campaign).id if args.campaign else None
        done = funnel_rebuild.rebuild(session, campaign_id)
    seconds = time.perf_counter() - start
    if args.json:
        print_json({**asdict(done), "campaign": args.campaign, "seconds": round(seconds, 3)})
        return 0
    scope = f"campaign {args.campaign}" if args.campaign else "every campaign"
    print(f"rebuilt the funnel rollups of {scope} from the event log in {seconds:.2f} s")
    print(f"  fans:       {plural(done.facts_removed, 'row')} replaced by {done.facts_written}")
    print(f"  page views: {plural(done.hours_removed, 'hour')} replaced by {done.hours_written}")
    print(f"  message reactions: {plural(done.reactions_removed, 'row')} replaced by "
          f"{done.reactions_written}")  # fmt: skip
    return 0


def register(sub: Group) -> None:
    """The `stats` subcommands."""
    stats = sub.add_parser("stats", help="analytics: the funnel rollups").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    rebuild = stats.add_parser("rebuild", help="recompute the rollups from the event log")
    rebuild.add_argument("--campaign", metavar="SLUG", help="one campaign (default: all)")
    rebuild.add_argument("--json", action="store_true")
    rebuild.set_defaults(func=cmd_stats_rebuild)
