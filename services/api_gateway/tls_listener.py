"""The gateway's HTTPS: the TLS context built from the certificate in MongoDB
(services/certificates/), and the server side of a handshake on an accepted socket.

Every gunicorn worker keeps one :class:`ServerTls`. It reads the stored certificate's
version at most every ``RECHECK_SECONDS`` and rebuilds its context when the version
changed, so a certificate installed through ``POST /v1/certificates/external`` is served
on new connections without a restart. The first worker of a new installation generates
the default certificate (insert-if-absent: every host serves the same one).
"""

from __future__ import annotations

import logging
import secrets
import selectors
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.certificates import bundle_rules, store
from services.certificates.bundle_rules import ServerCertificate
from services.common.clock import utcnow
from services.common.config import Config
from services.common.escaping import escape_unprintable
from services.protocol import at_rest

log = logging.getLogger(__name__)

RECHECK_SECONDS = 3.0
# A client that opens a connection and then stalls its handshake, however it drips its
# bytes, holds a worker thread for this long at most (a total, not a per-read timeout).
HANDSHAKE_TIMEOUT_SECONDS = 10.0
# After its handshake, a client that sends no request within this long is closed: the
# gthread worker waits as long for the first bytes of a plain connection (its
# DEFAULT_WORKER_DATA_TIMEOUT), and the ClientHello has already passed that wait.
FIRST_REQUEST_SECONDS = 5.0


class HandshakeFailed(Exception):
    """A client whose TLS handshake failed: a bad client, not an error of the server."""


def build_context(certificate: ServerCertificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    password = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="wa-tls-") as directory:
        chain_file, key_file = Path(directory) / "chain.pem", Path(directory) / "key.pem"
        chain_file.write_text(certificate.full_chain_pem())
        key_file.write_bytes(bundle_rules.encrypted_key_pem(certificate.key_pem, password))
        context.load_cert_chain(chain_file, key_file, password=password)
    return context


def default_hostnames(config: Config) -> list[str]:
    """The names the default certificate is made for, on this host."""
    return bundle_rules.default_hostnames(config.gateway.host, socket.gethostname())


class ServerTls:
    def __init__(self, config: Config, db: Database, master_key: Callable[[], at_rest.Keys],
                 recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._db = db
        self._master_key = master_key
        self._hostnames = default_hostnames(config)
        self._recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._version: str | None = None
        self._next_check = 0.0

    def context(self) -> ssl.SSLContext:
        """The context to serve with now. When the stored certificate cannot be had or
        served (MongoDB unreachable, a key that does not open, a certificate OpenSSL
        refuses) the one in use is kept; before there is one at all, the error goes to
        the caller. One thread rechecks at a time; the others serve meanwhile with the
        context in use rather than wait for MongoDB."""
        context = self._context
        if context is not None and time.monotonic() < self._next_check:
            return context
        if not self._lock.acquire(blocking=context is None):
            return context  # type: ignore[return-value]  # another thread is rechecking
        try:
            if self._context is not None and time.monotonic() < self._next_check:
                return self._context
            try:
                self._refresh()
            except Exception as error:
                if self._context is None:
                    raise
                log.warning("serving the certificate in use: the stored one cannot be had (%s)",
                            error.__class__.__name__)
            self._next_check = time.monotonic() + self._recheck_seconds
            assert self._context is not None
            return self._context
        finally:
            self._lock.release()

    def _refresh(self) -> None:
        version = store.external_version(self._db)
        if self._context is not None and version == self._version:
            return
        installed = store.ensure_external(self._db, self._master_key(), utcnow(), self._hostnames)
        self._context = build_context(installed.certificate)
        # Once per worker and certificate: the fingerprint lets an operator check the CA
        # fetched over a connection that could not verify it yet (curl -k).
        log.info("serving the %s certificate (version %s); CA SHA-256 fingerprint %s",
                 installed.source, installed.version, installed.certificate.ca_fingerprint())
        self._version = installed.version

    def handshake(self, sock: socket.socket) -> ssl.SSLSocket:
        """The server side of a handshake on an accepted, blocking socket; raises
        ``HandshakeFailed`` (logged once, without a traceback) for a bad client."""
        try:
            context = self.context()
        except PyMongoError as error:
            log.warning("no certificate to serve: MongoDB unreachable (%s)", error.__class__.__name__)
            raise HandshakeFailed() from None
        except Exception as error:  # noqa: BLE001 - e.g. a master key that cannot open the stored key
            # The server's fault, but one line per connection, not a traceback each.
            log.error("no certificate to serve: %s", error.__class__.__name__)
            raise HandshakeFailed() from None
        try:
            secure = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except (ssl.SSLError, OSError) as error:
            log.debug("TLS handshake failed: %s", escape_unprintable(str(error)))
            sock.close()
            raise HandshakeFailed() from None
        try:
            _handshake_within(secure, HANDSHAKE_TIMEOUT_SECONDS)
            secure.setblocking(True)
            if not secure.pending() and not _readable_within(secure, FIRST_REQUEST_SECONDS):
                raise TimeoutError("no request after the handshake")
        except (ssl.SSLError, OSError) as error:
            # A scanner, a plain-HTTP client on the HTTPS port, a client that does not trust
            # the certificate, a stalled one: one line at debug level, as gunicorn logs a
            # closed connection.
            log.debug("TLS handshake failed: %s", escape_unprintable(str(error) or error.__class__.__name__))
            secure.close()
            raise HandshakeFailed() from None
        return secure


def _handshake_within(secure: ssl.SSLSocket, seconds: float) -> None:
    """The server side of the handshake, ended (TimeoutError) when it takes longer than
    ``seconds`` in all, however slowly the client drips its bytes."""
    deadline = time.monotonic() + seconds
    secure.setblocking(False)
    while True:
        try:
            secure.do_handshake()
            return
        except ssl.SSLWantReadError:
            want = selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            want = selectors.EVENT_WRITE
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not _ready_within(secure, want, remaining):
            raise TimeoutError("TLS handshake took too long")


def _readable_within(sock: socket.socket, seconds: float) -> bool:
    return _ready_within(sock, selectors.EVENT_READ, seconds)


def _ready_within(sock: socket.socket, events: int, seconds: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, events)
        return bool(selector.select(timeout=seconds))
