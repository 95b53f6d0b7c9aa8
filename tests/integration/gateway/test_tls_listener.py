"""The gateway's TLS context (tls_listener.py) over real MongoDB: made from the stored
certificate (generating the default at first), rebuilt when its version changes, and a
handshake that a bad client fails raises ``HandshakeFailed`` instead of an error."""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from datetime import UTC, datetime

import pytest

from services.api_gateway import tls_listener
from services.api_gateway.tls_listener import HandshakeFailed, ServerTls
from services.certificates import bundle_rules, store
from tests.common.pki import bundle, make_ca, make_leaf

MASTER = os.urandom(32)


def client_handshake(tls: ServerTls, cadata: str) -> bytes:
    """The certificate a verifying client sees through ``tls.handshake``."""
    server_side, client_side = socket.socketpair()
    served: list[ssl.SSLSocket] = []
    thread = threading.Thread(target=lambda: served.append(tls.handshake(server_side)))
    thread.start()
    context = ssl.create_default_context(cadata=cadata)
    with context.wrap_socket(client_side, server_hostname="localhost") as secure:
        certificate = secure.getpeercert(binary_form=True)
    thread.join(timeout=10)
    served[0].close()
    assert certificate is not None
    return certificate


def test_the_context_follows_the_stored_certificate(config, db):
    tls = ServerTls(config, db, lambda: MASTER, recheck_seconds=0)
    first = tls.context()
    default = store.load_external(db, MASTER)
    assert default is not None and default.source == store.SOURCE_DEFAULT
    assert tls.context() is first  # same version: no rebuild
    assert client_handshake(tls, default.certificate.ca_pem) == ssl.PEM_cert_to_DER_cert(default.certificate.cert_pem)

    ca = make_ca("Operator CA")
    leaf = make_leaf(ca)
    now = datetime.now(UTC)
    store.install_external(db, MASTER, bundle_rules.parse_server_bundle(bundle(leaf, ca), now), now)
    assert tls.context() is not first
    assert client_handshake(tls, ca.cert_pem) == ssl.PEM_cert_to_DER_cert(leaf.cert_pem)


def test_a_client_that_is_not_speaking_tls_fails_the_handshake_quietly(config, db):
    tls = ServerTls(config, db, lambda: MASTER)
    server_side, client_side = socket.socketpair()
    client_side.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(HandshakeFailed):
        tls.handshake(server_side)
    server_side.close()
    client_side.close()


def test_a_handshake_dripped_byte_by_byte_is_cut_at_its_total_deadline(config, db, monkeypatch):
    monkeypatch.setattr(tls_listener, "HANDSHAKE_TIMEOUT_SECONDS", 1.0)
    tls = ServerTls(config, db, lambda: MASTER)
    tls.context()
    server_side, client_side = socket.socketpair()
    stop = threading.Event()

    def drip():
        # A TLS record header announcing 512 bytes, then one byte every 0.2 s: no single
        # read ever waits long, only the whole handshake does.
        client_side.sendall(b"\x16\x03\x01\x02\x00")
        while not stop.wait(0.2):
            try:
                client_side.sendall(b"\x00")
            except OSError:
                return

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    started = time.monotonic()
    try:
        with pytest.raises(HandshakeFailed):
            tls.handshake(server_side)
        assert time.monotonic() - started < 2.0
    finally:
        stop.set()
        dripper.join(timeout=2)
        client_side.close()


def test_a_client_silent_after_its_handshake_is_closed_instead_of_holding_a_thread(config, db, monkeypatch):
    monkeypatch.setattr(tls_listener, "FIRST_REQUEST_SECONDS", 0.5)
    tls = ServerTls(config, db, lambda: MASTER)
    tls.context()
    ca_pem = store.load_external(db, MASTER)
    server_side, client_side = socket.socketpair()
    outcome: list[object] = []

    def serve():
        try:
            outcome.append(tls.handshake(server_side))
        except HandshakeFailed as failed:
            outcome.append(failed)

    thread = threading.Thread(target=serve)
    thread.start()
    context = ssl.create_default_context(cadata=ca_pem.certificate.ca_pem)
    secure = context.wrap_socket(client_side, server_hostname="localhost")  # handshakes, then says nothing
    thread.join(timeout=5)
    secure.close()
    assert len(outcome) == 1 and isinstance(outcome[0], HandshakeFailed)


def test_a_stored_certificate_that_cannot_be_served_leaves_the_one_in_use(config, db):
    keys = {"current": MASTER}
    tls = ServerTls(config, db, lambda: keys["current"], recheck_seconds=0)
    first = tls.context()
    ca = make_ca("Operator CA")
    now = datetime.now(UTC)
    store.install_external(db, MASTER, bundle_rules.parse_server_bundle(bundle(make_leaf(ca), ca), now), now)
    keys["current"] = os.urandom(32)  # a key that does not open the new one
    assert tls.context() is first
    keys["current"] = MASTER
    assert tls.context() is not first
