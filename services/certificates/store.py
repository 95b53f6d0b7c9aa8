"""The ``certificates`` collection: the one module that reads or writes it.

- ``{_id: "external", version, source: "default"|"uploaded", cert_pem, chain_pem, ca_pem,
  key_sealed, updated_at}``: the gateway's HTTPS certificate, the same for every gateway
  host. The private key is sealed with the master key (services/protocol/at_rest.py),
  never stored in the clear. ``version`` changes on every write, so a worker knows when
  to rebuild its TLS context by reading that one field.
- ``{_id: "webhooks_ca", version, ca_pem, updated_at}``: the CA certificates the
  dispatcher trusts for the webhook server (absent: none uploaded).

Only ``_id`` is looked up, so the collection needs no index of its own.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.certificates import bundle_rules
from services.certificates.bundle_rules import ServerCertificate
from services.common.resealing import ResealCount, reseal_field
from services.protocol import at_rest

COLLECTION = "certificates"
EXTERNAL = "external"
WEBHOOKS_CA = "webhooks_ca"
SOURCE_DEFAULT = "default"
SOURCE_UPLOADED = "uploaded"
# Binds the sealed key to this record: a sealed blob of another collection cannot be swapped in.
_KEY_CONTEXT = b"certificates:external:key"


@dataclass(frozen=True)
class InstalledCertificate:
    version: str
    source: str
    certificate: ServerCertificate


@dataclass(frozen=True)
class WebhookCa:
    version: str
    ca_pem: str


def _new_version() -> str:
    # Random, not a counter: a deleted and re-uploaded webhook CA must not reuse a version.
    return secrets.token_hex(8)


def _external_doc(master_key: at_rest.Keys, certificate: ServerCertificate, source: str, now: datetime) -> dict:
    return {
        "_id": EXTERNAL,
        "version": _new_version(),
        "source": source,
        "cert_pem": certificate.cert_pem,
        "chain_pem": certificate.chain_pem,
        "ca_pem": certificate.ca_pem,
        "key_sealed": at_rest.seal(master_key, certificate.key_pem.encode(), _KEY_CONTEXT),
        "updated_at": now,
    }


def _installed(master_key: at_rest.Keys, doc: dict) -> InstalledCertificate:
    key_pem = at_rest.open_sealed(master_key, bytes(doc["key_sealed"]), _KEY_CONTEXT).decode()
    certificate = ServerCertificate(key_pem=key_pem, cert_pem=doc["cert_pem"], chain_pem=doc["chain_pem"],
                                    ca_pem=doc["ca_pem"])
    return InstalledCertificate(version=doc["version"], source=doc["source"], certificate=certificate)


def ensure_external(db: Database, master_key: at_rest.Keys, now: datetime,
                    hostnames: list[str]) -> InstalledCertificate:
    """The certificate in use, generating the default one at the very first start.

    Insert-if-absent: when two gateways start at once both may generate one, but only
    the first insert wins and the other reads the winner's, so all serve the same."""
    found = load_external(db, master_key)
    if found is not None:
        return found
    generated = bundle_rules.generate_default(now, hostnames)
    try:
        db[COLLECTION].insert_one(_external_doc(master_key, generated, SOURCE_DEFAULT, now))
    except DuplicateKeyError:
        pass  # another gateway was first: serve its certificate
    winner = load_external(db, master_key)
    assert winner is not None  # inserted by us or the other gateway; never deleted
    return winner


def load_external(db: Database, master_key: at_rest.Keys) -> InstalledCertificate | None:
    doc = db[COLLECTION].find_one({"_id": EXTERNAL})
    return None if doc is None else _installed(master_key, doc)


def external_version(db: Database) -> str | None:
    """The version alone: what a worker reads every few seconds to notice a new certificate."""
    doc = db[COLLECTION].find_one({"_id": EXTERNAL}, {"version": 1})
    return None if doc is None else doc["version"]


def external_ca(db: Database) -> str | None:
    doc = db[COLLECTION].find_one({"_id": EXTERNAL}, {"ca_pem": 1})
    return None if doc is None else doc["ca_pem"]


def install_external(db: Database, master_key: at_rest.Keys, certificate: ServerCertificate, now: datetime) -> str:
    """Replace the certificate in use by a validated operator's one; returns its version."""
    return _replace_external(db, master_key, certificate, SOURCE_UPLOADED, now)


def _replace_external(db: Database, master_key: at_rest.Keys, certificate: ServerCertificate, source: str,
                      now: datetime) -> str:
    doc = _external_doc(master_key, certificate, source, now)
    db[COLLECTION].replace_one({"_id": EXTERNAL}, doc, upsert=True)
    return doc["version"]


def load_webhook_ca(db: Database) -> WebhookCa | None:
    doc = db[COLLECTION].find_one({"_id": WEBHOOKS_CA})
    return None if doc is None else WebhookCa(version=doc["version"], ca_pem=doc["ca_pem"])


def webhook_ca_version(db: Database) -> str | None:
    doc = db[COLLECTION].find_one({"_id": WEBHOOKS_CA}, {"version": 1})
    return None if doc is None else doc["version"]


def set_webhook_ca(db: Database, ca_pem: str, now: datetime) -> str:
    version = _new_version()
    db[COLLECTION].replace_one({"_id": WEBHOOKS_CA}, {"_id": WEBHOOKS_CA, "version": version, "ca_pem": ca_pem,
                                                      "updated_at": now}, upsert=True)
    return version


def delete_webhook_ca(db: Database) -> bool:
    return db[COLLECTION].delete_one({"_id": WEBHOOKS_CA}).deleted_count == 1


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """The HTTPS private key under the newest master key (services/common/resealing.py);
    ``version`` is left alone: the certificate a worker serves has not changed."""
    return reseal_field(db[COLLECTION], "key_sealed", lambda doc: _KEY_CONTEXT, keys)


def export_all(db: Database, master_key: at_rest.Keys) -> dict:
    """The collection for a backup: the HTTPS certificate with its private key in the
    clear (only ever inside the backup's AEAD, services/backup/) and the webhook CA."""
    external = load_external(db, master_key)
    webhook_ca = load_webhook_ca(db)
    return {
        "external": None if external is None else {"source": external.source, **asdict(external.certificate)},
        "webhooks_ca": None if webhook_ca is None else webhook_ca.ca_pem,
    }


@dataclass(frozen=True)
class ExportedCertificates:
    """``export_all``' answer, checked: what ``import_all`` installs (None: left as it is)."""

    certificate: ServerCertificate | None
    source: str
    webhook_ca: str | None


def parse_export(exported: Any, now: datetime) -> ExportedCertificates:
    """``export_all``' answer of another installation, checked as the upload routes check
    an operator's bundle and webhook CA (bundle_rules); ValueError (a BundleError) otherwise."""
    if not isinstance(exported, dict):
        raise ValueError("the backup's certificates are unreadable")
    external, webhook_ca = exported.get("external"), exported.get("webhooks_ca")
    certificate, source = None, SOURCE_UPLOADED
    if external is not None:
        certificate = bundle_rules.parse_server_bundle(_exported_bundle(external), now)
        source = SOURCE_DEFAULT if external.get("source") == SOURCE_DEFAULT else SOURCE_UPLOADED
    if webhook_ca is not None:
        if not isinstance(webhook_ca, str):
            raise ValueError("the backup's webhook CA is unreadable")
        webhook_ca = bundle_rules.parse_ca_certificates(webhook_ca, now)
    return ExportedCertificates(certificate, source, webhook_ca)


def _exported_bundle(external: Any) -> str:
    """The exported HTTPS certificate as the bundle an operator uploads: key, certificate, chain."""
    parts = [external.get(name) for name in ("key_pem", "cert_pem", "chain_pem")] if isinstance(external, dict) else []
    texts = [part for part in parts if isinstance(part, str)]
    if not texts or len(texts) != len(parts):
        raise ValueError("the backup's HTTPS certificate is unreadable")
    return "".join(texts)


def import_all(db: Database, master_key: at_rest.Keys, exported: ExportedCertificates, now: datetime) -> None:
    """Install what another installation exported: the key sealed under this one's master
    key, with a new version, so every gateway serves it."""
    if exported.certificate is not None:
        _replace_external(db, master_key, exported.certificate, exported.source, now)
    if exported.webhook_ca is not None:
        set_webhook_ca(db, exported.webhook_ca, now)
