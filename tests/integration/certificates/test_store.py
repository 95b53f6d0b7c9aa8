"""The ``certificates`` collection against real MongoDB: the private key is sealed in the
document, the first start makes one certificate however many gateways race for it, and
an install or a webhook CA change gives a new version."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest

from services.certificates import bundle_rules, store
from services.protocol.errors import ProtocolError
from tests.common.pki import bundle, make_ca, make_leaf

MASTER = os.urandom(32)
NOW = datetime.now(UTC)


def test_the_private_key_is_sealed_in_the_document_never_plaintext(db):
    installed = store.ensure_external(db, MASTER, NOW, ["localhost"])
    doc = db[store.COLLECTION].find_one({"_id": store.EXTERNAL})
    assert installed.source == store.SOURCE_DEFAULT
    key_body = installed.certificate.key_pem.split("-----")[2].strip().replace("\n", "")
    stored_text = repr(doc)
    assert "PRIVATE KEY" not in stored_text
    assert key_body[:40] not in stored_text.replace("\\n", "")
    assert isinstance(doc["key_sealed"], bytes) and doc["key_sealed"]
    assert store.load_external(db, MASTER) == installed
    with pytest.raises(ProtocolError):
        store.load_external(db, os.urandom(32))  # sealed: another master key cannot open it


def test_a_second_start_reads_the_certificate_of_the_first(db):
    first = store.ensure_external(db, MASTER, NOW, ["localhost"])
    assert store.ensure_external(db, MASTER, NOW, ["other-host"]) == first
    assert store.external_ca(db) == first.certificate.ca_pem
    assert store.external_version(db) == first.version


def test_gateways_starting_at_once_all_serve_one_certificate(db):
    starting = 8
    barrier = threading.Barrier(starting)
    results: list[store.InstalledCertificate] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            results.append(store.ensure_external(db, MASTER, NOW, ["localhost"]))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(starting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == starting
    assert len({result.version for result in results}) == 1
    assert len({result.certificate.cert_pem for result in results}) == 1
    assert db[store.COLLECTION].count_documents({}) == 1


def test_an_installed_bundle_replaces_the_default_with_a_new_version(db):
    default = store.ensure_external(db, MASTER, NOW, ["localhost"])
    ca = make_ca("Operator CA")
    uploaded = bundle_rules.parse_server_bundle(bundle(make_leaf(ca), ca), NOW)
    version = store.install_external(db, MASTER, uploaded, NOW)
    assert version != default.version
    installed = store.load_external(db, MASTER)
    assert installed is not None
    assert (installed.version, installed.source, installed.certificate) == (version, store.SOURCE_UPLOADED,
                                                                              uploaded)
    assert store.external_ca(db) == ca.cert_pem
    assert "PRIVATE KEY" not in repr(db[store.COLLECTION].find_one({"_id": store.EXTERNAL}))


def test_the_webhook_ca_is_set_replaced_and_deleted(db):
    assert store.load_webhook_ca(db) is None and store.webhook_ca_version(db) is None
    first = store.set_webhook_ca(db, make_ca("A").cert_pem, NOW)
    second_pem = make_ca("B").cert_pem
    second = store.set_webhook_ca(db, second_pem, NOW)
    assert second != first
    assert store.load_webhook_ca(db) == store.WebhookCa(version=second, ca_pem=second_pem)
    assert store.delete_webhook_ca(db) is True
    assert store.delete_webhook_ca(db) is False
    assert store.load_webhook_ca(db) is None
