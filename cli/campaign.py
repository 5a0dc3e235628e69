"""presave campaign create|list|show|edit|close."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from cli.output import Group, Parser, UsageError, message_line, plural, print_json
from core.db import transaction
from core.services import campaigns, tenancy
from core.settings import Settings


def print_campaign(data: dict[str, object]) -> None:
    """A campaign and its counts, for a person."""
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
        lines += [f"  {message_line(row)}" for row in messages]
    discord = data.get("discord")
    if isinstance(discord, dict) and discord["servers"]:
        roles = ", ".join(f"{k} {v}" for k, v in sorted(discord["roles"].items())) or "none yet"
        posts = ", ".join(f"{k} {v}" for k, v in sorted(discord["posts"].items())) or "none yet"
        servers = plural(len(discord["servers"]), "server")
        lines.append(f"  discord    {servers}; roles {roles}; posts {posts}")
        for server in discord["servers"]:
            if server["role_error"]:
                lines.append(f"  discord    server {server['guild_id']}: {server['role_error']}")
    quota = counts["quota_fans"]
    if quota:
        lines.append(
            f"  {plural(quota, 'fan')} could not connect: the Spotify app is in development "
            "mode (5-user cap)"
        )
    print("\n".join(lines))


def team_for(session: Session, name: str) -> int:
    """The id of the team `--team` names; a usage error when there is none."""
    try:
        return tenancy.team_id_named(session, name)
    except tenancy.UnknownTeam as exc:
        raise UsageError(f"--team: {exc.args[0]}") from None


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
        team_id = None if args.team is None else team_for(session, args.team)
        campaign = campaigns.create_campaign(session, draft, utcnow())
        if team_id is not None:
            try:
                tenancy.adopt_campaign(session, team_id, campaign)
            except tenancy.ArtistInOtherTeam as exc:
                raise UsageError(f"--team: {exc}") from None
        data = campaigns.campaign_json(session, campaign, settings.public_url)
    print_json(data) if args.json else print_campaign(data)
    return 0


def cmd_campaign_list(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign list."""
    with transaction(settings.database_url) as session:
        rows = [
            campaigns.campaign_json(session, c, settings.public_url)
            for c in campaigns.list_campaigns(session)
        ]
    if args.json:
        print_json(rows)
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
    print_json(data) if args.json else print_campaign(data)
    return 0


def cmd_campaign_edit(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign edit SLUG: the same checks as create; promised fields stay once fans
    joined."""
    from core.services import campaign_edit
    from core.timeutil import utcnow

    changes = campaign_edit.CampaignChanges(
        title=args.title, keyword=args.keyword, release_at=args.release_at,
        timezone=args.timezone, spotify_album_id=args.spotify_album_id, upc=args.upc,
        isrc=args.isrc, spotify_artist_id=args.spotify_artist_id, follow=args.follow,
        force=args.force,
    )  # fmt: skip
    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        campaign_edit.edit(session, campaign.id, changes, utcnow())
        data = campaigns.campaign_json(session, campaign, settings.public_url)
    print_json(data) if args.json else print_campaign(data)
    return 0


def cmd_campaign_close(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign close SLUG: no more opt-ins or messages; the keyword is free."""
    from core.services import campaign_edit

    with transaction(settings.database_url) as session:
        campaign = campaigns.named(session, args.slug)
        done = campaign_edit.close(session, campaign.id)
        data = {
            "slug": campaign.slug, "status": campaign.status, "closed_now": done.closed_now,
            "messages_cancelled": done.messages_cancelled,
            "deliveries_cancelled": done.deliveries_cancelled,
        }  # fmt: skip
    if args.json:
        print_json(data)
    elif not done.closed_now:
        print(f"{data['slug']} was closed already")
    else:
        print(
            f"{data['slug']} closed: {plural(done.messages_cancelled, 'message')} cancelled "
            f"({done.deliveries_cancelled} waiting deliveries); its keyword is free"
        )
    return 0


def cmd_campaign_sender(settings: Settings, args: argparse.Namespace) -> int:
    """presave campaign sender SLUG [--kind K] [--numbers N] [--daily-cap N|none]."""
    from core.services import campaign_sender

    change = campaign_sender.SenderChange(args.kind, args.numbers, args.daily_cap)
    with transaction(settings.database_url) as session:
        campaign = campaign_sender.change_sender(session, args.slug, change)
        data = campaign_sender.sender_json(campaign, settings.twilio_mps_override)
    if args.json:
        print_json(data)
        return 0
    cap = "no daily cap" if data["daily_cap"] is None else f"at most {data['daily_cap']:,} a day"
    over = " (TWILIO_MPS)" if data["twilio_mps_override"] is not None else ""
    print(f"{data['slug']}: SMS from a {data['kind']} ({data['numbers']} number(s)), "
          f"{data['mps']:g} messages/s{over}, {cap}")  # fmt: skip
    return 0


def _release_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keyword")
    parser.add_argument("--release-at", dest="release_at")
    parser.add_argument("--timezone")
    parser.add_argument("--spotify-album-id", dest="spotify_album_id")
    parser.add_argument("--upc")
    parser.add_argument("--isrc")
    parser.add_argument("--spotify-artist-id", dest="spotify_artist_id")


def register(sub: Group) -> None:
    """The `campaign` subcommands."""
    campaign = sub.add_parser("campaign", help="campaigns").add_subparsers(
        dest="subcommand", required=True, parser_class=Parser
    )
    create = campaign.add_parser("create", help="create a campaign")
    create.add_argument("--artist")
    create.add_argument("--title")
    _release_flags(create)
    create.add_argument("--no-follow", action="store_true", help="do not follow the artist")
    create.add_argument("--force", action="store_true", help="take a release time in the past")
    create.add_argument("--team", help="the team whose people manage the artist in the web app")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_campaign_create)
    listing = campaign.add_parser("list", help="list campaigns")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_campaign_list)
    show = campaign.add_parser("show", help="one campaign and its counts")
    show.add_argument("slug")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_campaign_show)
    edit = campaign.add_parser("edit", help="change a campaign (same checks as create)")
    edit.add_argument("slug")
    edit.add_argument("--title")
    _release_flags(edit)
    follow = edit.add_mutually_exclusive_group()
    follow.add_argument("--follow", dest="follow", action="store_true", default=None)
    follow.add_argument("--no-follow", dest="follow", action="store_false")
    edit.add_argument("--force", action="store_true", help="take a release time in the past")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(func=cmd_campaign_edit)
    close = campaign.add_parser("close", help="close a campaign: no more opt-ins or messages")
    close.add_argument("slug")
    close.add_argument("--json", action="store_true")
    close.set_defaults(func=cmd_campaign_close)
    sender = campaign.add_parser("sender", help="the SMS sender sends are planned for")
    sender.add_argument("slug")
    sender.add_argument("--kind", help="long_code, toll_free, short_code or messaging_service")
    sender.add_argument("--numbers", help="a messaging_service's numbers (1 message/s each)")
    sender.add_argument("--daily-cap", dest="daily_cap", help="texts a day, or none")
    sender.add_argument("--json", action="store_true")
    sender.set_defaults(func=cmd_campaign_sender)
