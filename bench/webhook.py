"""Benchmark: the inbound keyword webhook under gunicorn (2 workers) vs a bare constant route.

    .venv/bin/python -m bench.webhook [--seconds 20] [--rate 200] [--database sqlite|postgres]
                                      [--floor]

Phases, all on loopback against one gunicorn server: a closed-loop throughput run on the bare
route and on the webhook (their ratio is the figure the issue names, target >= 0.5), then an
open-loop run at a fixed rate on the webhook for latency (target p99 < 50 ms at 200 req/s).
Every webhook request is signed with Twilio's RequestValidator and comes from a new number,
so each one creates a fan, a consent, a link and events: the real opt-in path.

`--floor` adds closed-loop runs on `/bench/floor/<n>` (bench.webhook_app): the signature,
form and phone checks every webhook needs, and n raw SQLite inserts in one transaction.
Their ratios to the bare route are the ceiling any webhook has on this server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import phonenumbers
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bench.loadgen import Request, Result, build_post, closed_loop, open_loop
from bench.procs import free_port
from cli import migrate
from core.db import transaction
from core.services.campaigns import CampaignDraft, create_campaign

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-auth-token"
RATIO_TARGET = 0.5
P99_TARGET_MS = 50.0
FLOOR_INSERTS = (0, 1, 5)


def phone_numbers() -> Iterator[str]:
    """An endless supply of distinct valid US numbers."""
    for n in itertools.count(2_000_000):
        number = f"+1415{n:07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            yield number


def make_requests(port: int, path: str, count: int, sign: bool) -> list[Request]:
    """Pre-built keyword requests to `path`, each from a new number with a new MessageSid,
    signed for that path's URL as Twilio would sign a webhook configured there."""
    validator = RequestValidator(TOKEN)
    url = f"http://127.0.0.1:{port}{path}"
    numbers = phone_numbers()
    out = []
    for i in range(count):
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": next(numbers),
            "To": "+15005550006",
            "Body": "DROP" if i % 3 else "drop tiktok",
            "NumMedia": "0",
            "FromCountry": "US",
            "FromState": "CA",
            "FromCity": "SAN FRANCISCO",
        }
        headers = {"X-Twilio-Signature": validator.compute_signature(url, params)} if sign else {}
        body = urllib.parse.urlencode(params).encode()
        out.append(build_post(f"127.0.0.1:{port}", path, body, headers))
    return out


def floor_requests(port: int, inserts: int) -> Callable[[], Request]:
    """Signed keyword requests for `/bench/floor/<inserts>`, reused in turn (the route keeps
    its rows unique itself), so the floor phases need no fresh build of their own."""
    requests = make_requests(port, f"/bench/floor/{inserts}", 2000, sign=True)
    return itertools.cycle(requests).__next__


def database_url(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database of the given kind and a function that removes it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


def prepare_database(url: str) -> None:
    """Migrate the database at `url` and open the campaign whose keyword is DROP."""
    migrate.upgrade(url)
    with transaction(url) as session:
        create_campaign(session, CampaignDraft(
            artist="Bench Artist", title="Bench Single", keyword="DROP",
            release_at="2030-01-01T00:00:00+00:00", timezone="UTC",
        ))  # fmt: skip


def start_server(
    port: int, env: dict[str, str], workers: int, threads: int
) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--log-level", "warning",
        "bench.webhook_app:create_bench_app()",
    ]  # fmt: skip
    server = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/bench/bare", method="POST")
            with urllib.request.urlopen(req, timeout=1):  # noqa: S310 - loopback only
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def report(name: str, result: Result) -> None:
    errors = result.failures
    print(
        f"{name:<28} {result.count:>7} answered  {result.rps:8.1f} req/s  "
        f"p50 {result.percentile(50):7.2f} ms  p99 {result.percentile(99):7.2f} ms  "
        f"non-200/errors {errors}"
        + ("  (ran out of prebuilt requests: errors answer fast)" if result.exhausted else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="open-loop latency run")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure the floor routes: the ceiling any webhook has here",
    )
    args = parser.parse_args()
    if args.floor and args.database != "sqlite":
        parser.error("--floor measures SQLite only")
    if not 0 < args.seconds <= 300 or not 0 < args.rate <= 5000:
        parser.error("--seconds must be in (0, 300] and --rate in (0, 5000]")

    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    db_url, drop_db = database_url(args.database, workdir)
    prepare_database(db_url)
    port = free_port()
    env = dict(
        os.environ, DATABASE_URL=db_url, TWILIO_AUTH_TOKEN=TOKEN, INSTANCE_PATH=str(workdir),
        PUBLIC_URL=f"http://127.0.0.1:{port}", PRESAVE_ENV="development",
    )  # fmt: skip
    need = int(args.rate * args.seconds + 3000 * args.throughput_seconds) + 1000
    print(f"building {need} signed requests ...", flush=True)
    signed = iter(make_requests(port, "/webhooks/twilio/sms", need, sign=True))
    bare = make_requests(port, "/bench/bare", 1, sign=False)[0]
    server = start_server(port, env, args.workers, args.threads)
    try:
        print(f"gunicorn: {args.workers} workers x {args.threads} threads, {args.database}, "
              f"127.0.0.1:{port}")  # fmt: skip
        host = "127.0.0.1"
        asyncio.run(closed_loop(host, port, lambda: bare, 2.0, args.concurrency))  # warm-up
        base = asyncio.run(closed_loop(host, port, lambda: bare, args.throughput_seconds,
                                       args.concurrency))  # fmt: skip
        hook = asyncio.run(closed_loop(host, port, signed.__next__, args.throughput_seconds,
                                       args.concurrency))  # fmt: skip
        fixed = asyncio.run(open_loop(host, port, signed.__next__, args.seconds, args.rate))
        floors = [
            (n, asyncio.run(closed_loop(host, port, floor_requests(port, n),
                                        args.throughput_seconds, args.concurrency)))
            for n in (FLOOR_INSERTS if args.floor else ())
        ]  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        drop_db()
    report("bare route (closed loop)", base)
    report("webhook (closed loop)", hook)
    report(f"webhook at {args.rate:.0f} req/s (open)", fixed)
    ratio = hook.rps / base.rps if base.rps else 0.0
    for n, result in floors:
        report(f"floor, {n} insert{'s' if n != 1 else ''} (closed)", result)
        print(f"  its ratio to the bare route: {result.rps / base.rps:.3f}")
    p99 = fixed.percentile(99)
    print(f"throughput ratio webhook/bare: {ratio:.3f}  (limit >= {RATIO_TARGET}: "
          f"{ratio / RATIO_TARGET:.2f}x the limit)")  # fmt: skip
    print(f"p99 at {args.rate:.0f} req/s: {p99:.2f} ms  (limit < {P99_TARGET_MS} ms: "
          f"{p99 / P99_TARGET_MS:.2f} of the limit)  achieved {fixed.rps:.1f} req/s")  # fmt: skip
    failed = hook.failures + fixed.failures + sum(result.failures for _, result in floors)
    if failed or hook.exhausted or fixed.exhausted:
        print(f"the webhook answered {failed} requests with an error: its figures do not count")
    ok = ratio >= RATIO_TARGET and p99 < P99_TARGET_MS and not failed and not hook.exhausted
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
