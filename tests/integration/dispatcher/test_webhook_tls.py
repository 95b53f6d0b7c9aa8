"""The dispatcher's TLS material (webhook_tls.py) against a real HTTPS webhook: a server
of a private CA is trusted once that CA is in MongoDB and no longer once it is deleted,
without a new ``WebhookTls``; a webhook asking for a client certificate gets the one
configured (mutual TLS)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests.certs

from services.certificates import store
from services.common.config import DispatcherConfig
from services.webhook_dispatcher.webhook_tls import WebhookTls
from tests.common.pki import Issued, make_ca, make_leaf
from tests.common.waiting import wait_for
from tests.e2e.webhook_receiver import WebhookReceiver

PAYLOAD = {"statuses": [{"id": "x", "status": "read", "timestamp": "1518694235"}]}
NOW = datetime.now(UTC)

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def https_receiver(server: Issued, directory: Path, client_ca: Issued | None = None) -> WebhookReceiver:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server.write(directory, "server"))
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=client_ca.cert_pem)
    return WebhookReceiver(tls=context)


def test_the_uploaded_ca_is_trusted_in_addition_to_the_default_ones_until_deleted(db, tmp_path):
    private_ca = make_ca("Webhook CA")
    receiver = https_receiver(make_leaf(private_ca), tmp_path)
    tls = WebhookTls(db, DispatcherConfig(), recheck_seconds=0)
    try:
        refused = tls.post(receiver.url, PAYLOAD, callback_id="cb-1", timeout=5)
        assert not refused.ok and refused.error == "SSLError"
        # Counted by the server's thread, which may finish after the client gave up.
        wait_for(lambda: receiver.refused_handshakes == 1, timeout=5, message="the refused handshake")

        store.set_webhook_ca(db, private_ca.cert_pem, NOW)
        delivered = tls.post(receiver.url, PAYLOAD, callback_id="cb-2", timeout=5)
        assert delivered.ok, delivered
        assert receiver.bodies() == [PAYLOAD]
        bundle = Path(str(tls.verify())).read_text()
        assert private_ca.cert_pem in bundle
        assert Path(requests.certs.where()).read_text() in bundle  # the public CAs too

        store.delete_webhook_ca(db)
        assert tls.verify() is True
        again = tls.post(receiver.url, PAYLOAD, callback_id="cb-3", timeout=5)
        assert not again.ok and again.error == "SSLError"
    finally:
        receiver.close()


def test_a_webhook_asking_for_a_client_certificate_gets_the_configured_one(db, tmp_path):
    server_ca, client_ca = make_ca("Webhook CA"), make_ca("Client CA")
    receiver = https_receiver(make_leaf(server_ca), tmp_path, client_ca=client_ca)
    cert_file, key_file = make_leaf(client_ca, ("dispatcher",), client=True).write(tmp_path, "client")
    store.set_webhook_ca(db, server_ca.cert_pem, NOW)
    with_cert = WebhookTls(db, DispatcherConfig(webhook_client_cert_file=cert_file, webhook_client_key_file=key_file))
    without_cert = WebhookTls(db, DispatcherConfig())
    try:
        assert with_cert.post(receiver.url, PAYLOAD, callback_id="cb-1", timeout=5).ok
        assert receiver.bodies() == [PAYLOAD]
        refused = without_cert.post(receiver.url, PAYLOAD, callback_id="cb-2", timeout=5)
        assert not refused.ok
        assert receiver.bodies() == [PAYLOAD]
    finally:
        receiver.close()


def test_the_operators_ca_bundle_is_trusted_with_or_without_an_uploaded_ca(db, tmp_path):
    operators_ca, uploaded_ca = make_ca("Operator CA"), make_ca("Webhook CA")
    operators_bundle = tmp_path / "operator-ca.pem"
    operators_bundle.write_text(operators_ca.cert_pem)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    behind_operators_ca = https_receiver(make_leaf(operators_ca), tmp_path / "a")
    behind_uploaded_ca = https_receiver(make_leaf(uploaded_ca), tmp_path / "b")
    tls = WebhookTls(db, DispatcherConfig(), recheck_seconds=0, base_bundle=str(operators_bundle))
    try:
        # None uploaded: the operator's bundle (REQUESTS_CA_BUNDLE), not certifi's.
        assert tls.post(behind_operators_ca.url, PAYLOAD, callback_id="cb-1", timeout=5).ok
        assert not tls.post(behind_uploaded_ca.url, PAYLOAD, callback_id="cb-2", timeout=5).ok

        store.set_webhook_ca(db, uploaded_ca.cert_pem, NOW)
        assert tls.post(behind_uploaded_ca.url, PAYLOAD, callback_id="cb-3", timeout=5).ok
        assert tls.post(behind_operators_ca.url, PAYLOAD, callback_id="cb-4", timeout=5).ok

        store.delete_webhook_ca(db)
        assert tls.post(behind_operators_ca.url, PAYLOAD, callback_id="cb-5", timeout=5).ok
        assert tls.verify() == str(operators_bundle) and operators_bundle.exists()
    finally:
        behind_operators_ca.close()
        behind_uploaded_ca.close()
