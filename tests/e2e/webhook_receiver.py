"""A real HTTP webhook for end-to-end tests: records every callback it is sent; over
HTTPS when given a TLS context (counting the handshakes it refused)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.common.http_servers import base_url, start_server, stop_server
from tests.common.waiting import wait_for


class _TlsServer(ThreadingHTTPServer):
    """Each connection's handshake in its own thread; a refused one is counted. A
    subclass per receiver sets ``context`` and ``on_refused`` (:func:`_tls_server_class`)."""

    context: ssl.SSLContext
    on_refused: Callable[[], None]

    def finish_request(self, request, client_address) -> None:  # noqa: ANN001 - socketserver's signature
        try:
            secure = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.on_refused()
            return
        try:
            super().finish_request(secure, client_address)
        finally:
            secure.close()  # the accepted socket was handed over to it


def _tls_server_class(context: ssl.SSLContext, on_refused: Callable[[], None]) -> type[ThreadingHTTPServer]:
    return type("TlsServer", (_TlsServer,), {"context": context, "on_refused": staticmethod(on_refused)})


class WebhookReceiver:
    """``sock``: a bound socket to listen on, a port the stack's ``WA_EGRESS_ALLOW``
    names (``stack.egress.take()``, infra/process_stack.py); else a free loopback port.
    ``tls``: serve HTTPS with this context."""

    def __init__(self, sock: socket.socket | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused_handshakes = 0
        self.attempts: list[tuple[float, dict[str, Any], int]] = []
        self._failures: list[list[Any]] = []  # [predicate, attempts still to refuse]
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                status = receiver._record(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server_class = ThreadingHTTPServer if tls is None else _tls_server_class(tls, self._refused)
        self._server = start_server(Handler, sock, name="webhook-receiver", server_class=server_class)
        self.url = base_url(self._server, "https" if tls else "http") + "/webhook"

    def refuse(self, predicate: Callable[[dict[str, Any]], bool], times: int) -> None:
        """Answer 500 to the next ``times`` callbacks whose body matches ``predicate``."""
        with self._lock:
            self._failures.append([predicate, times])

    def _refused(self) -> None:
        with self._lock:
            self.refused_handshakes += 1

    def _record(self, body: dict[str, Any]) -> int:
        with self._lock:
            status = 200
            for failure in self._failures:
                if failure[1] > 0 and failure[0](body):
                    failure[1] -= 1
                    status = 500
                    break
            self.attempts.append((time.monotonic(), body, status))
            if status == 200:
                self.received.append(body)
            return status

    def close(self) -> None:
        stop_server(self._server)

    def statuses(self, message_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s for body in self.received for s in body.get("statuses", []) if s["id"] == message_id]

    def bodies(self) -> list[dict[str, Any]]:
        """Every callback body delivered so far, in arrival order."""
        with self._lock:
            return list(self.received)

    def messages(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(message, contact) pairs of every inbound-message callback."""
        with self._lock:
            return [(m, (body.get("contacts") or [{}])[0]) for body in self.received for m in body.get("messages", [])]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """The first truthy ``predicate()`` (tests/common/waiting.py), with the callbacks
        received so far in the message when it never comes."""
        return wait_for(predicate, timeout=timeout, interval=0.1,
                        message=lambda: f"webhook condition not met; received: {self.bodies()[-5:]}")
