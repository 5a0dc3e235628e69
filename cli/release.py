"""presave release check|mark-live: drop day by hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from cli.output import Group, Parser, print_json
from core import runtime
from core.db import transaction
from core.services import campaigns
from core.settings import Settings
from core.validation import ValidationError


def _start_drops(settings: Settings, campaign_id: int, markets: Sequence[str]) -> list[str]:
    """Start the fan-out once per newly live market, as the watch does."""
    if not markets:
        return []
    from workers.release_jobs import start_live

    return start_live(runtime.redis_client(settings), campaign_id, list(markets))


def _print_release(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
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


def register(sub: Group) -> None:
    """The `release` subcommands."""
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
