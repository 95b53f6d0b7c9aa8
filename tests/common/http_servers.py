"""Loopback HTTP servers for tests, on a given socket or a free port.

A stack's processes connect only where the egress policy lets them
(services/common/egress_rules.py): a test server they must reach listens on a port the
stack holds and allows (infra/process_stack.py ``ReservedPorts.take``).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def start_server(handler: type[BaseHTTPRequestHandler], sock: socket.socket | None = None, *,
                 host: str = "127.0.0.1", name: str = "test-http",
                 server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer) -> ThreadingHTTPServer:
    """A threading HTTP server (``server_class``) serving ``handler`` on ``sock`` (bound,
    not listening) or on a free port of ``host``, already running; stop it with
    :func:`stop_server`."""
    if sock is None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server = type("Server", (server_class,), {"address_family": family})((host, 0), handler)
    else:
        server = server_class(sock.getsockname()[:2], handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()
        server.server_name, server.server_port = server.server_address[0], server.server_address[1]
        server.server_activate()
    server.daemon_threads = True
    # shutdown() waits for serve_forever's next poll: half a second at its default interval.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True).start()
    return server


def stop_server(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def base_url(server: ThreadingHTTPServer, scheme: str = "http") -> str:
    host, port = server.server_address[:2]
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
