"""Servers that show what reached them: a listener that counts the connections it is
offered (the target of a refused egress must count zero), and a server that trickles its
answer one byte at a time (a peer that would hold a worker)."""

from __future__ import annotations

import socket
import threading
import time


class CountingListener:
    """Accepts and counts connections on ``host`` (any loopback address, IPv4 or IPv6),
    answering each with a small HTTP 200 so that a client that got through would succeed."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 5\r\nConnection: close\r\n\r\nPWNED"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.host, self.port = host, self._sock.getsockname()[1]
        self.connections = 0
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="counting-listener", daemon=True)
        self._thread.start()

    def url(self, path: str = "/a.png", host: str | None = None) -> str:
        host = host or self.host
        return f"http://[{host}]:{self.port}{path}" if ":" in host else f"http://{host}:{self.port}{path}"

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            try:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                except OSError:
                    pass
                conn.sendall(self.ANSWER)
            finally:
                conn.close()

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._sock.close()


class TricklingServer:
    """An HTTP server announcing ``length`` bytes and sending one every ``interval``
    seconds; notes when each connection began and when the client went away."""

    def __init__(self, sock: socket.socket | None = None, *, length: int = 1000, interval: float = 1.0,
                 content_type: str = "image/png") -> None:
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/slow.png"
        self.length, self.interval, self.content_type = length, interval, content_type
        self.sessions: list[dict[str, float | int | None]] = []
        self._running = True
        threading.Thread(target=self._serve, name="trickling-server", daemon=True).start()

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        session: dict[str, float | int | None] = {"began": time.monotonic(), "ended": None, "sent": 0}
        self.sessions.append(session)
        try:
            conn.settimeout(5.0)
            conn.recv(65536)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n"
                         f"Content-Length: {self.length}\r\n\r\n".encode())
            for _ in range(self.length):
                if not self._running:
                    break
                time.sleep(self.interval)
                conn.sendall(b"\x89")
                session["sent"] = int(session["sent"] or 0) + 1
        except OSError:
            pass  # the client cut it: what the deadline does
        finally:
            session["ended"] = time.monotonic()
            conn.close()

    def close(self) -> None:
        self._running = False
        self._sock.close()
