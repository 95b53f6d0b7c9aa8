"""``python -m sandbox --host 127.0.0.1 --port 9400 [--state-file PATH]``."""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

from sandbox.app import create_app
from sandbox.network.media_store import DEFAULT_MAX_TOTAL


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Sandbox WhatsApp network")
    parser.add_argument("--host", default=os.environ.get("SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "9400")))
    parser.add_argument("--state-file", default=os.environ.get("SANDBOX_STATE_FILE") or None)
    parser.add_argument(
        "--media-max-bytes", type=int, default=int(os.environ.get("SANDBOX_MEDIA_MAX_BYTES", DEFAULT_MAX_TOTAL)),
        help="bound on all encrypted media files the network stores together",
    )
    parser.add_argument("--ping-interval", type=float, default=20.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=os.environ.get("WA_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s sandbox %(levelname)s %(name)s: %(message)s",
    )
    app = create_app(
        state_file=args.state_file, ping_interval=args.ping_interval, media_max_bytes=args.media_max_bytes
    )
    logging.getLogger("sandbox").info("sandbox network on http://%s:%d", args.host, args.port)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
