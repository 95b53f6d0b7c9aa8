"""A loopback HTTP server serving files for media links (outbound media by ``link``),
with optional credentials per file: what a business's own web server or CDN does."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.common.http_servers import base_url, start_server, stop_server


@dataclass
class Served:
    body: bytes
    content_type: str = "application/octet-stream"
    authorization: str | None = None  # the Authorization header required, if any
    chunked: bool = False  # no Content-Length: Transfer-Encoding: chunked
    status: int = 200
    location: str | None = None  # with a 3xx status: where it redirects


class LinkServer:
    """``sock``: a bound socket to listen on (a port the stack allows,
    infra/process_stack.py ``ReservedPorts``); else a free port of loopback."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        self.files: dict[str, Served] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization) as received
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                authorization = self.headers.get("Authorization")
                server.requests.append((self.path, authorization))
                served = server.files.get(self.path)
                if served is None:
                    self._plain(404, b"not found")
                elif served.authorization is not None and authorization != served.authorization:
                    self._plain(401, b"who are you")
                elif served.location is not None:
                    self.send_response(served.status)
                    self.send_header("Location", served.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif served.status != 200:
                    self._plain(served.status, b"no")
                elif served.chunked:
                    self.send_response(200)
                    self.send_header("Content-Type", served.content_type)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(served.body), 50_000):
                        part = served.body[start:start + 50_000]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", served.content_type)
                    self.send_header("Content-Length", str(len(served.body)))
                    self.end_headers()
                    self.wfile.write(served.body)

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._http = start_server(Handler, sock, name="link-server")
        self.url = base_url(self._http)
        self.port = self._http.server_address[1]

    def serve(self, path: str, served: Served) -> str:
        """Serve ``served`` at ``path``; returns its link."""
        self.files[path] = served
        return self.url + path

    def close(self) -> None:
        stop_server(self._http)
