"""Benchmark: drop day for N fans whose access tokens have expired, against the sandbox.

    .venv/bin/python -m bench.drop [--fans 20000] [--latency-ms 100] [--cap 300]

A local stand-in of Spotify (token, library, follow) and Twilio (Messages) runs as its own
process on loopback, adding latency to every answer and answering 429 above the Spotify
Web API cap. Two `presave worker` processes do the fan-out. Printed: wall time from
detection to the last save and to the last notification, Spotify Web API requests/s
achieved vs the cap (target ratio >= 0.8), 429s received (target < 1% of requests), and
peak RSS per worker process (target < 300 MB).
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
from sqlalchemy import func, select

from bench.procs import cpu_seconds, start_sandbox, start_workers, stop_all, tree
from bench.seed import mark_detected, sandbox_album, sandbox_users, seed
from bench.watch import until_done
from cli import migrate
from core.db import read_only
from core.models import Delivery, DeliveryStatus, PreSave, PreSaveStatus
from core.redis_conn import EmbeddedRedis
from core.settings import load_settings
from core.timeutil import utcnow
from sandbox.config import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN
from workers.fanout import start_drop

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET, RATE_429_TARGET, RSS_TARGET_MB = 0.8, 0.01, 300.0
FINAL = (PreSaveStatus.SAVED, PreSaveStatus.NEEDS_RECONNECT, PreSaveStatus.QUOTA,
         PreSaveStatus.FAILED)  # fmt: skip


def progress(db_url: str) -> tuple[int, int]:
    """(final pre-saves, final deliveries): two index counts, cheap enough to poll."""
    with read_only(db_url) as session:
        final = session.scalar(select(func.count()).where(PreSave.status.in_(FINAL))) or 0
        sent = session.scalar(
            select(func.count()).where(
                Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.FAILED))
            )
        )
    return int(final), int(sent or 0)


def last_times(db_url: str) -> tuple[Any, Any]:
    """When the last save and the last notification happened (table scans: once, at the end)."""
    with read_only(db_url) as session:
        last_save = session.scalar(select(func.max(PreSave.saved_at)))
        last_sent = session.scalar(select(func.max(Delivery.sent_at)))
    return last_save, last_sent


def run(args: argparse.Namespace) -> dict[str, float]:
    """One benchmark run; returns its figures."""
    work = Path(tempfile.mkdtemp(prefix="bench-drop-"))
    sandbox, base = start_sandbox(
        ROOT, "--latency-ms", str(args.latency_ms), "--spotify-rps", str(args.cap),
        "--twilio-mps", str(args.twilio_mps), "--no-callbacks",
    )  # fmt: skip
    # A Redis of its own: no other worker on this machine can take the run's jobs.
    embedded = EmbeddedRedis(work / "redis")
    redis_url = embedded.start()
    env = dict(
        os.environ, PRESAVE_ENV="test", INSTANCE_PATH=str(work), REDIS_URL=redis_url,
        DATABASE_URL=args.database_url or f"sqlite:///{work / 'drop.db'}",
        PUBLIC_URL="https://presave.example.test", SPOTIFY_API_BASE=f"{base}/v1",
        SPOTIFY_ACCOUNTS_BASE=f"{base}/accounts", TWILIO_ACCOUNT_SID=SANDBOX_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=SANDBOX_AUTH_TOKEN, TWILIO_API_BASE=f"{base}/twilio",
        TWILIO_FROM_NUMBER="+15005550006", TWILIO_MPS=str(args.twilio_mps),
        SPOTIFY_MAX_RPS=str(args.cap), PRESAVE_FANOUT_THREADS=str(args.threads),
        LOG_LEVEL="INFO",
    )  # fmt: skip
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "TWILIO_MESSAGING_SERVICE_SID"):
        env.pop(name, None)
    os.environ.clear()
    os.environ.update(env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        settings = load_settings()
        redis.Redis.from_url(redis_url).flushdb()
        migrate.upgrade(settings.database_url)
        print(f"seeding {args.fans} fans ...", flush=True)
        sandbox_album(base, {"US": utcnow().isoformat()})
        seeded = seed(settings, sandbox_users(base, args.fans), expired=True)
        workers = start_workers(ROOT, env, work, args.workers)
        time.sleep(2.0)  # workers up before the clock starts
        before = requests.get(f"{base}/_sandbox/stats", timeout=10).json()
        mark_detected(settings, seeded.campaign_id, ["US"])
        detected = utcnow()
        start_drop(redis.Redis.from_url(redis_url), seeded.campaign_id)
        db = settings.database_url
        watched = until_done(workers, lambda: min(progress(db)), args.fans, args.timeout)
        after = requests.get(f"{base}/_sandbox/stats", timeout=10).json()
        last_save, last_sent = last_times(settings.database_url)
        # Live work horses are not yet in their worker's children's time: count them apart.
        worker_cpu = sum(cpu_seconds(p) for p in tree(workers))
        sandbox_cpu = cpu_seconds(sandbox.pid)
    finally:
        stop_all([*workers, sandbox])
        if embedded is not None:
            embedded.stop()
    save_s = (last_save - detected).total_seconds()
    told_s = (last_sent - detected).total_seconds()
    api = after["spotify"]["requests"] - before["spotify"]["requests"]
    api_429 = after["spotify"]["status_429"] - before["spotify"]["status_429"]
    token = after["accounts"]["requests"] - before["accounts"]["requests"]
    return {
        "fans": args.fans, "last_save_s": save_s, "last_notification_s": told_s,
        "api_requests": api, "token_requests": token, "api_rps": api / save_s,
        "cap": args.cap, "ratio": api / save_s / args.cap, "api_429": api_429,
        "rate_429": api_429 / api if api else 0.0, "peak_rss_mb": watched.peak,
        "sms": after["twilio"]["requests"] - before["twilio"]["requests"],
        "worker_cpu_s": worker_cpu, "sandbox_cpu_s": sandbox_cpu,
        "sms_429": after["twilio"]["status_429"] - before["twilio"]["status_429"],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fans", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--cap", type=float, default=300.0, help="Spotify Web API requests/s")
    parser.add_argument("--twilio-mps", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=48, help="concurrent saves per worker")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    if not 1 <= args.fans <= 200_000 or args.cap <= 0 or args.workers < 1:
        parser.error("--fans must be 1..200000, --cap > 0, --workers >= 1")
    r = run(args)
    print(f"fans                         {r['fans']:.0f}")
    print(f"detection -> last save       {r['last_save_s']:.1f} s")
    print(f"detection -> last SMS        {r['last_notification_s']:.1f} s  ({r['sms']:.0f} Twilio "
          f"requests, {r['sms_429']:.0f} answered 429)")  # fmt: skip
    print(f"Spotify Web API requests     {r['api_requests']:.0f}  (+{r['token_requests']:.0f} "
          f"token refreshes)")  # fmt: skip
    print(f"Web API requests/s achieved  {r['api_rps']:.1f}  cap {r['cap']:.0f}  ratio "
          f"{r['ratio']:.3f}  ({r['ratio'] / RATIO_TARGET:.2f}x the 0.8 target)")  # fmt: skip
    print(f"429s received                {r['api_429']:.0f}  ({r['rate_429'] * 100:.2f}% of "
          f"requests; limit < 1%)")  # fmt: skip
    print(f"peak RSS per worker process  {r['peak_rss_mb']:.0f} MB  (limit {RSS_TARGET_MB:.0f} MB: "
          f"{r['peak_rss_mb'] / RSS_TARGET_MB:.2f} of it)")  # fmt: skip
    print(f"per 1,000 fans               {r['last_save_s'] / r['fans'] * 1000:.2f} s to save, "
          f"{r['worker_cpu_s'] / r['fans'] * 1000:.2f} CPU-s in workers, "
          f"{r['sandbox_cpu_s'] / r['fans'] * 1000:.2f} CPU-s in the stand-in")  # fmt: skip
    ok = (r["ratio"] >= RATIO_TARGET and r["rate_429"] < RATE_429_TARGET
          and r["peak_rss_mb"] < RSS_TARGET_MB)  # fmt: skip
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
