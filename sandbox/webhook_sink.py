"""A webhook to look at during development: prints every callback it receives.

    python -m sandbox.webhook_sink --port 8080

then set `webhooks.url` to http://127.0.0.1:8080/ (make run accepts http on loopback).
It answers 200 to everything, or 500 with --fail N for the first N callbacks, to watch
the dispatcher's retries.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(failures: list[int]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = 200
            if failures[0] > 0:
                failures[0] -= 1
                status = 500
            try:
                shown = json.dumps(json.loads(raw), indent=2)
            except ValueError:
                shown = raw.decode(errors="replace")
            print(f"--- callback ({status})\n{shown}", flush=True)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--fail", type=int, default=0, help="answer 500 to the first N callbacks")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler([args.fail]))
    print(f"webhook sink on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
