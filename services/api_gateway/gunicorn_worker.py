"""gunicorn's threaded worker, serving HTTPS itself and answering the requests gunicorn
refuses in the envelope.

HTTPS: gunicorn's own TLS reads a certificate file once at start. This worker wraps the
connections of the HTTPS listener (``WA_API_HTTPS_PORT``) itself, with the context of
``tls_listener.ServerTls``, which follows the certificate stored in MongoDB. The plain
listener (``WA_API_PORT``, bound only with ``WA_ALLOW_HTTP``) is served as it is.

Errors: gunicorn's ``handle_error`` decides the status of a request it could not parse,
logs it and writes an HTML page to the socket. This worker lets it do all of that
against a socket that only records what was written, then sends the same status in the
On-Prem envelope (``server_errors``) to the client.
"""

from __future__ import annotations

import errno
import logging

from gunicorn import http, util
from gunicorn.workers.gthread import TConn, ThreadWorker

from services.api_gateway import server_errors
from services.api_gateway.tls_listener import HandshakeFailed, ServerTls
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import REQUEST_TIMEOUTS, get_db

log = logging.getLogger(__name__)


class _RecordingSocket:
    """What ``gunicorn.util.write_error`` needs of a socket, keeping what it is sent."""

    def __init__(self) -> None:
        self.sent = b""

    def gettimeout(self) -> float:
        return 0.0  # non-blocking already: write_nonblock does not toggle it

    def sendall(self, data: bytes) -> None:
        self.sent += data


class TlsConn(TConn):
    """A connection of the HTTPS listener: the handshake is made in the worker thread
    that serves its first request, where gunicorn makes its own."""

    def __init__(self, cfg, sock, client, server, tls: ServerTls) -> None:
        super().__init__(cfg, sock, client, server)
        self.tls = tls

    def init(self):  # untyped, as gunicorn's TConn is
        if not self.initialized and self.parser is None:
            try:
                self.sock = self.tls.handshake(self.sock)
            except HandshakeFailed:
                # gunicorn's way to end a connection quietly: handle() logs it at debug
                # level and closes the socket.
                raise StopIteration("TLS handshake failed") from None
            self.parser = http.get_parser(self.cfg, self.sock, self.client)
        super().init()

    def close(self, graceful=False):
        # A failed handshake closed the socket already; gunicorn closes every connection
        # it finishes, and a second close of a closed socket raised in its bookkeeping
        # (its count of open connections went down twice).
        if self.sock.fileno() < 0:
            return
        super().close(graceful)


class EnvelopeThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        config = Config.from_env()
        self.api_version = config.api_version
        self.https_port = config.gateway.https_port
        self.tls = ServerTls(config, get_db(config, REQUEST_TIMEOUTS), lambda: load_master_key(config))
        try:
            self.tls.context()  # the first start generates the default certificate now
        except Exception as error:  # noqa: BLE001 - retried at the first HTTPS connection
            log.warning("certificate not loaded at start (%s); retried at the first HTTPS connection",
                        error.__class__.__name__)
        super().init_process()

    def accept(self, listener) -> None:
        if listener.getsockname()[1] != self.https_port:
            super().accept(listener)
            return
        # gunicorn's accept, with a TlsConn for this listener.
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            self.enqueue_req(TlsConn(self.cfg, client_sock, client_addr, listener.getsockname(), self.tls))
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise

    def handle_request(self, req, conn):
        if isinstance(conn, TlsConn):
            req.scheme = "https"  # gunicorn sets it from its own TLS settings only (wsgi.url_scheme)
        keepalive = super().handle_request(req, conn)
        # Answered. gunicorn may still fail on this request while draining a body the app
        # did not read (a bad chunk after a 401): no second answer on the connection then.
        req.answered = True
        return keepalive

    def handle_error(self, req, client, addr, exc) -> None:
        if getattr(req, "answered", False):
            self.log.debug("Closing after an answered request whose body could not be drained.")
            return
        recorded = _RecordingSocket()
        super().handle_error(req, recorded, addr, exc)
        status = server_errors.parse_status_line(recorded.sent)
        if status is None:
            return
        try:
            util.write_nonblock(client, server_errors.http_answer(*status, self.api_version))
        except Exception:  # noqa: BLE001 - the client may be gone, as gunicorn assumes too
            self.log.debug("Failed to send error message.")
