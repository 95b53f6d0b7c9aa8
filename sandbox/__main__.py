"""``python -m sandbox --host 127.0.0.1 --port 9400 [--state-file PATH]``."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from sandbox.app import create_app
from services.common.config import Config


def main(argv: list[str] | None = None) -> None:
    config = Config.from_env()  # SANDBOX_* (config.sandbox) are the options' defaults
    sandbox = config.sandbox
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Sandbox WhatsApp network")
    parser.add_argument("--host", default=sandbox.host)
    parser.add_argument("--port", type=int, default=sandbox.port)
    parser.add_argument("--state-file", default=sandbox.state_file)
    parser.add_argument(
        "--media-max-bytes", type=int, default=sandbox.media_max_bytes,
        help="bound on all encrypted media files the network stores together",
    )
    parser.add_argument("--ping-interval", type=float, default=20.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s sandbox %(levelname)s %(name)s: %(message)s",
    )
    app = create_app(
        state_file=args.state_file, ping_interval=args.ping_interval, media_max_bytes=args.media_max_bytes
    )
    logging.getLogger("sandbox").info("sandbox network on http://%s:%d", args.host, args.port)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
