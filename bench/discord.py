"""Benchmark: drop day for N Discord fans against the Discord stand-in at its global limit.

    .venv/bin/python -m bench.discord [--fans 20000] [--latency-ms 100] [--limit 50]

The stand-in (`sandbox/`) runs as its own process on loopback with that latency, answering
429 above `--limit` requests per rolling second (Discord's global limit per bot, counted
by arrival). Two `presave worker` processes DM every fan once (opening each DM channel
first: two requests a fan, the case of fans never messaged before) and post once in the
bound channel. Printed: requests/s achieved against the limit (target ratio >= 0.85),
the most requests in any one-second window (target: none over the limit), 429s, DMs
refused (`--closed` fans do not accept DMs), and peak RSS per worker process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
import requests

from bench.procs import cpu_seconds, start_sandbox, start_workers, stop_all, tree
from bench.seed import discord_user, mark_detected, seed_discord
from bench.watch import arrival_rate, deliveries_in, delivery_fates, until_done
from cli import migrate
from core.models import DeliveryStatus
from core.redis_conn import EmbeddedRedis
from core.settings import load_settings
from sandbox.config import SANDBOX_DISCORD_BOT_TOKEN
from workers.fanout import start_drop

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 0.85
GUILD, CHANNEL, ROLE, BOT_ROLE = (
    "111111111111111111", "222222222222222222", "333333333333333333", "444444444444444444",
)  # fmt: skip
DONE = (DeliveryStatus.SENT, DeliveryStatus.UNDELIVERABLE, DeliveryStatus.FAILED)


def seed_stand_in(base: str, fans: int, closed: int) -> None:
    """The server (the bot may post and ping the role) and its members."""
    body = {
        "id": GUILD, "owner_id": "999999999999999999",
        "roles": [{"id": GUILD, "permissions": 1024 | 2048 | 16384 | 65536 | (1 << 17)},
                  {"id": BOT_ROLE, "position": 5, "permissions": 1 << 28},
                  {"id": ROLE, "name": "Pre-saver", "position": 2}],
        "bot_roles": [BOT_ROLE], "channels": [{"id": CHANNEL, "name": "drops"}],
    }  # fmt: skip
    requests.post(f"{base}/_sandbox/discord/guilds", json=body, timeout=30).raise_for_status()
    members = {"guild_id": GUILD, "count": fans, "first": int(discord_user(0))}
    requests.post(f"{base}/_sandbox/discord/members", json=members, timeout=60).raise_for_status()
    refused = (
        [discord_user(n) for n in range(0, fans, max(1, fans // closed))][:closed] if closed else []
    )
    knobs = {"discord_dms_closed": refused}
    requests.post(f"{base}/_sandbox/config", json=knobs, timeout=30).raise_for_status()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One benchmark run; returns its figures."""
    work = Path(tempfile.mkdtemp(prefix="bench-discord-"))
    sandbox, base = start_sandbox(
        ROOT,
        "--latency-ms",
        str(args.latency_ms),
        "--discord-rps",
        str(args.limit),
        "--no-callbacks",
    )
    embedded = EmbeddedRedis(work / "redis")
    redis_url = embedded.start()
    env = dict(
        os.environ, PRESAVE_ENV="test", INSTANCE_PATH=str(work), REDIS_URL=redis_url,
        DATABASE_URL=f"sqlite:///{work / 'discord.db'}", PUBLIC_URL="https://presave.example.test",
        DISCORD_BOT_TOKEN=SANDBOX_DISCORD_BOT_TOKEN, DISCORD_API_BASE=f"{base}/discord/api/v10",
        DISCORD_MAX_RPS=str(args.limit), LOG_LEVEL="INFO",
    )  # fmt: skip
    os.environ.clear()
    os.environ.update(env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        settings = load_settings()
        migrate.upgrade(settings.database_url)
        print(f"seeding {args.fans} Discord fans ...", flush=True)
        seeded = seed_discord(settings, args.fans, guild=GUILD, channel=CHANNEL, role=ROLE)
        seed_stand_in(base, args.fans, args.closed)
        workers = start_workers(ROOT, env, work, args.workers)
        time.sleep(2.0)
        mark_detected(settings, seeded.campaign_id, ["US"])
        start_drop(redis.Redis.from_url(redis_url), seeded.campaign_id)
        db = settings.database_url
        watched = until_done(workers, lambda: deliveries_in(db, DONE), args.fans, args.timeout)
        arrivals = requests.get(f"{base}/_sandbox/discord/arrivals", timeout=30).json()
        stats = requests.get(f"{base}/_sandbox/stats", timeout=30).json()["discord"]
        worker_cpu = sum(cpu_seconds(p) for p in tree(workers))
        sandbox_cpu = cpu_seconds(sandbox.pid)
        fates = delivery_fates(db)
    finally:
        stop_all([*workers, sandbox])
        embedded.stop()
    span, rate = arrival_rate(arrivals)
    return {
        "fans": args.fans, "limit": args.limit, "requests": arrivals["count"], "span_s": span,
        "rps": rate, "ratio": rate / args.limit, "max_1s": arrivals["max_in_any_1s"],
        "global_429": arrivals["global_429"], "route_429": arrivals["route_429"],
        "status_429": stats["status_429"], "invalid": arrivals["invalid_requests"],
        "fates": fates, "peak_rss_mb": watched.peak,
        "worker_cpu_s": worker_cpu, "sandbox_cpu_s": sandbox_cpu,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fans", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--limit", type=float, default=50.0, help="Discord requests/s per bot")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--closed", type=int, default=200, help="fans whose DMs are closed")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    if not 1 <= args.fans <= 200_000 or args.limit <= 0 or args.workers < 1:
        parser.error("--fans must be 1..200000, --limit > 0, --workers >= 1")
    if not 0 <= args.closed <= args.fans:
        parser.error("--closed must be 0..--fans")
    r = run(args)
    over = max(0, r["max_1s"] - int(args.limit))
    print(f"fans                         {r['fans']}  (fates: {r['fates']})")
    print(f"Discord requests             {r['requests']} over {r['span_s']:.1f} s")
    print(
        f"requests/s achieved          {r['rps']:.2f}  limit {r['limit']:.0f}  ratio "
        f"{r['ratio']:.3f}  ({r['ratio'] / RATIO_TARGET:.2f}x the {RATIO_TARGET} target)"
    )
    print(f"most in any 1-second window  {r['max_1s']}  ({over} over the limit; target 0)")
    print(f"429s                         {r['status_429']}  (global {r['global_429']}, "
          f"route {r['route_429']}); invalid requests in 10 min: {r['invalid']}")  # fmt: skip
    print(f"peak RSS per worker process  {r['peak_rss_mb']:.0f} MB")
    print(f"CPU per 1,000 fans           {r['worker_cpu_s'] / r['fans'] * 1000:.2f} s workers, "
          f"{r['sandbox_cpu_s'] / r['fans'] * 1000:.2f} s stand-in")  # fmt: skip
    ok = r["ratio"] >= RATIO_TARGET and over == 0 and r["global_429"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
