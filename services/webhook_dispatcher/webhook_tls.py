"""The dispatcher's TLS material for webhook POSTs: which CAs it trusts (``verify=``)
and the client certificate it presents (``cert=``).

Trust: the public CAs requests trusts by default (certifi's bundle, or the operator's
REQUESTS_CA_BUNDLE) **plus** the webhook
CA uploaded through ``POST /v1/certificates/webhooks/ca`` (spec §10.2). In addition, not
instead: uploading the CA of a self-signed webhook must not break a webhook URL that is
later pointed back at a publicly certified host, and a private CA adds trust only for
what it signed. The uploaded CA is read from MongoDB (services/certificates/store.py);
its version is checked at most every ``RECHECK_SECONDS``, so an upload or a deletion
applies to the next callbacks without a restart. requests keys its connection pools by
the CA file, so a new file per version never reuses a connection verified by the old CAs.

Client certificate (mutual TLS, as Meta's Cloud API offers): PEM files named by
``WA_WEBHOOK_CLIENT_CERT_FILE`` / ``WA_WEBHOOK_CLIENT_KEY_FILE``, read by requests at each
new connection, so a renewed file is used without a restart too.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import requests.certs
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.certificates import store
from services.common.config import DispatcherConfig
from services.webhook_dispatcher.delivery import Outcome, post_callback

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0

Verify = bool | str
ClientCert = str | tuple[str, str] | None


def client_cert(config: DispatcherConfig) -> ClientCert:
    if config.webhook_client_cert_file is None:
        return None
    if config.webhook_client_key_file is None:
        return str(config.webhook_client_cert_file)  # the key is in the same file
    return str(config.webhook_client_cert_file), str(config.webhook_client_key_file)


class WebhookTls:
    def __init__(self, db: Database, config: DispatcherConfig, recheck_seconds: float = RECHECK_SECONDS,
                 base_bundle: str | None = None) -> None:
        self._db = db
        # The operator's bundle (Config.tls_ca_bundle, REQUESTS_CA_BUNDLE) replaces the
        # public CAs, as it does for every other connection; the uploaded CA adds to it.
        self._base_bundle = base_bundle or requests.certs.where()
        # What ``verify`` is with no CA uploaded: a request's ``verify=True`` would
        # override the operator's bundle the session was given.
        self._default_verify: Verify = base_bundle or True
        self._cert = client_cert(config)
        self._recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._directory = Path(tempfile.mkdtemp(prefix="wa-webhook-ca-"))
        weakref.finalize(self, shutil.rmtree, self._directory, True)
        self._verify: Verify = self._default_verify
        self._retired: str | None = None  # the bundle before: a request may still be opening it
        self._version: str | None = None
        self._next_check = 0.0

    def verify(self) -> Verify:
        """The default CAs (``True``, or the operator's bundle) or the path of a bundle
        with the uploaded CA too."""
        with self._lock:
            now = time.monotonic()
            if now >= self._next_check:
                self._next_check = now + self._recheck_seconds
                try:
                    self._refresh()
                except PyMongoError as error:
                    log.warning("webhook CA not rechecked: MongoDB unreachable (%s)", error.__class__.__name__)
            return self._verify

    def request_options(self) -> dict[str, Any]:
        return {"verify": self.verify(), "cert": self._cert}

    def post(self, url: str, payload: dict[str, Any], *, callback_id: str, timeout: float) -> Outcome:
        """``delivery.post_callback`` with this TLS material: the ``post`` of the tasks."""
        return post_callback(url, payload, callback_id=callback_id, timeout=timeout, **self.request_options())

    def _refresh(self) -> None:
        version = store.webhook_ca_version(self._db)
        if version == self._version:
            return
        found = store.load_webhook_ca(self._db) if version is not None else None
        previous = self._verify
        if found is None:
            self._verify, self._version = self._default_verify, None
            log.info("webhook CA: the default CAs only")
        else:
            bundle = self._directory / f"ca-{found.version}.pem"
            partial = bundle.with_suffix(".partial")  # renamed whole: never read half-written
            partial.write_text(Path(self._base_bundle).read_text() + "\n" + found.ca_pem)
            os.replace(partial, bundle)
            self._verify, self._version = str(bundle), found.version
            log.info("webhook CA: the default CAs and the uploaded one (version %s)", found.version)
        if self._retired is not None:
            Path(self._retired).unlink(missing_ok=True)
        self._retired = previous if isinstance(previous, str) and previous != self._default_verify else None
