"""`python -m sandbox --port 5055 [--latency-ms 100] [--discord-rps 50] ...` (see --help)."""

from __future__ import annotations

import argparse
import gc
import signal
import threading
from collections.abc import Sequence
from typing import Any

from sandbox.config import SANDBOX_APP_NAME, SANDBOX_TWILIO_NUMBER
from sandbox.server import serve

FULL_COLLECTION_EVERY = 1000  # young collections per full one (Python's default: 10)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run the Spotify + Twilio + Discord sandbox on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument("--spotify-rps", type=float, help="Web API requests/s before 429s")
    parser.add_argument("--twilio-mps", type=float, help="messages/s per sender before 20429")
    parser.add_argument(
        "--app-name", default=SANDBOX_APP_NAME, help="the app the consent page names"
    )
    parser.add_argument("--dev-mode", action="store_true", help="Spotify development mode")
    parser.add_argument("--sms-url", help="our SMS webhook: where fans' texts are delivered")
    parser.add_argument(
        "--interactions-url", help="our Discord interactions endpoint: where slash commands go"
    )
    parser.add_argument("--no-callbacks", action="store_true", help="never post status callbacks")
    parser.add_argument(
        "--discord-rps", type=float, default=50.0, help="Discord requests/s before global 429s"
    )
    return parser.parse_args(argv)


def knobs_from(args: argparse.Namespace) -> dict[str, Any]:
    """SandboxConfig knobs from parsed arguments."""
    knobs: dict[str, Any] = {"twilio_sms_url": args.sms_url} if args.sms_url else {}
    if args.interactions_url:
        knobs["discord_interactions_url"] = args.interactions_url
    return knobs | {
        "spotify_latency_ms": args.latency_ms,
        "accounts_latency_ms": args.latency_ms,
        "twilio_latency_ms": args.latency_ms,
        "spotify_rps": args.spotify_rps,
        "twilio_mps": args.twilio_mps,
        "dev_mode": args.dev_mode,
        "status_callbacks": not args.no_callbacks,
        "discord_latency_ms": args.latency_ms,
        "discord_global_rps": args.discord_rps,
        "app_name": args.app_name.strip() or SANDBOX_APP_NAME,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM."""
    args = parse_args(argv)
    # What the stand-in keeps (every message of a 100,000-fan broadcast) is long-lived: a
    # full collection over it paused the process long enough that requests waiting in the
    # socket were stamped as arriving together, and the caps refused some that Twilio would
    # have taken. Startup objects are frozen and full collections made rare.
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, FULL_COLLECTION_EVERY)
    server, thread, base = serve(args.host, args.port, **knobs_from(args))
    print(f"sandbox on {base}", flush=True)
    print(f"  SPOTIFY_ACCOUNTS_BASE={base}/accounts", flush=True)
    print(f"  SPOTIFY_API_BASE={base}/v1", flush=True)
    print(f"  TWILIO_API_BASE={base}/twilio", flush=True)
    print(f"  DISCORD_API_BASE={base}/discord/api/v10", flush=True)
    if args.interactions_url:
        print(f"  slash commands go to {args.interactions_url}", flush=True)
    if args.sms_url:
        print(f"  texts to {SANDBOX_TWILIO_NUMBER} go to {args.sms_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while thread.is_alive() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
