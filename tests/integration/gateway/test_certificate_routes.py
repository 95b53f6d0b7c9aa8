"""``/v1/certificates`` through the gateway app against real MongoDB: admin only, and a
bundle that passes the rules but that OpenSSL would refuse to serve is refused before it
replaces the certificate in use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from services.certificates import store
from tests.common.factories import issue_token
from tests.common.pki import Issued, bundle, make_ca
from tests.integration.gateway.conftest import assert_error, bearer

ROUTES = (("POST", "/v1/certificates/external"), ("GET", "/v1/certificates/external/ca"),
          ("POST", "/v1/certificates/webhooks/ca"), ("GET", "/v1/certificates/webhooks/ca"),
          ("DELETE", "/v1/certificates/webhooks/ca"))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_certificate_route_is_for_the_admin_only(client, db, config, method, path):
    user = bearer(issue_token(db, config.token_ttl_seconds, username="alice", role="user"))
    answer = client.open(path, method=method, headers={**user, "Content-Type": "text/plain"}, data="x")
    assert_error(answer, 403, 1005)


def _weak_leaf(ca: Issued) -> Issued:
    # RSA-1024: readable and correctly signed, but below OpenSSL's default security level.
    key = rsa.generate_private_key(65537, 1024)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "weak")]))
        .issuer_name(ca.certificate.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca.key, hashes.SHA256()))
    return Issued(key, certificate)


def test_a_bundle_openssl_would_not_serve_is_refused_and_the_one_in_use_stays(client, db, auth):
    before = client.get("/v1/certificates/external/ca", headers=auth)
    assert before.status_code == 200
    version = store.external_version(db)
    ca = make_ca("Operator CA")
    answer = client.post("/v1/certificates/external", headers={**auth, "Content-Type": "text/plain"},
                         data=bundle(_weak_leaf(ca), ca))
    assert_error(answer, 400, 1009)
    assert "cannot be served" in answer.get_json()["errors"][0]["details"]
    assert store.external_version(db) == version
    assert client.get("/v1/certificates/external/ca", headers=auth).data == before.data
