"""The HTTPS connection of the gateway's gunicorn worker (gunicorn_worker.py)."""

from __future__ import annotations

import socket

from gunicorn.config import Config as GunicornConfig

from services.api_gateway.gunicorn_worker import TlsConn


def test_a_connection_whose_handshake_failed_closes_without_error():
    # The failed handshake closed (detached) the socket already; gunicorn then closes the
    # connection as it closes every finished one, and an error there counted the
    # connection as gone twice.
    ours, theirs = socket.socketpair()
    conn = TlsConn(GunicornConfig(), ours, ("127.0.0.1", 1), ("127.0.0.1", 2), tls=None)
    ours.detach()
    try:
        conn.close(graceful=True)
        conn.close()
    finally:
        theirs.close()


def test_an_open_connection_is_closed():
    ours, theirs = socket.socketpair()
    conn = TlsConn(GunicornConfig(), ours, ("127.0.0.1", 1), ("127.0.0.1", 2), tls=None)
    conn.close()
    assert ours.fileno() == -1
    theirs.close()
