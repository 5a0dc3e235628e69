"""Diagnostic: CPU cost of one keyword webhook, in-process, without gunicorn or sockets.

    .venv/bin/python -m bench.webhook_cost [--requests 3000] [--database sqlite|postgres]

Calls the WSGI app directly with prebuilt, signed requests (each from a new number, as in
bench.webhook) and a bare route returning constant TwiML, and prints microseconds per
request for each. This is where the webhook's own cost shows without the load generator
and gunicorn sharing the cores; `bench.webhook` is the benchmark the issue's target is
about (gunicorn adds about 390 µs of CPU to every request, bare or not, on this machine).
Run it under a profiler (py-spy, pyinstrument) to see where the time goes.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.webhook import TOKEN, database_url, make_requests, prepare_database

PORT = 9  # only used in the signed URL: nothing listens or connects
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(raw: bytes) -> dict[str, Any]:
    """The WSGI environ of one raw HTTP request built by bench.loadgen.build_post."""
    head, body = raw.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode().split("\r\n")
    method, path, _ = request_line.split()
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(PORT), "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0), "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip
    for line in header_lines:
        name, value = line.split(": ", 1)
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return env


def call(app: WSGIApp, env: dict[str, Any]) -> None:
    """One request; anything but a 200 stops the run."""
    statuses: list[str] = []
    body = b"".join(app(env, lambda status, _headers, _exc=None: statuses.append(status)))
    if not statuses or not statuses[0].startswith("200"):
        raise SystemExit(f"{env['PATH_INFO']} answered {statuses}: {body[:200]!r}")


def per_request_us(app: WSGIApp, envs: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for env in envs:
        call(app, env)
    return (time.perf_counter() - start) / len(envs) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    if not 100 <= args.requests <= 100_000:
        parser.error("--requests must be between 100 and 100000")
    work = Path(tempfile.mkdtemp(prefix="bench-webhook-cost-"))
    url, drop = database_url(args.database, work)
    prepare_database(url)
    os.environ.update(
        DATABASE_URL=url, TWILIO_AUTH_TOKEN=TOKEN, INSTANCE_PATH=str(work),
        PUBLIC_URL=f"http://127.0.0.1:{PORT}", PRESAVE_ENV="development",
    )  # fmt: skip
    from bench.webhook_app import create_bench_app

    app = create_bench_app()
    warm = 200
    hooks = [
        environ(r) for r in make_requests(PORT, "/webhooks/twilio/sms", args.requests + warm, True)
    ]
    bare = [
        environ(make_requests(PORT, "/bench/bare", 1, sign=False)[0]) for _ in range(args.requests)
    ]
    per_request_us(app, hooks[:warm])
    per_request_us(app, bare[:warm])
    bare_us = per_request_us(app, bare)
    hook_us = per_request_us(app, hooks[warm:])
    print(f"bare route      {bare_us:8.0f} µs a request (in-process)")
    print(f"keyword webhook {hook_us:8.0f} µs a request (in-process, a new fan each)")
    drop()
    print(f"in-process ratio {bare_us / hook_us:.3f}; bench.webhook's target (>= 0.5) is under "
          f"gunicorn, which adds about 390 µs to both")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
