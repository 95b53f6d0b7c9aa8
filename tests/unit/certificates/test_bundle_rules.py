"""The rules of services/certificates/bundle_rules.py: what an operator's bundle and a
webhook CA upload must be, and what the default certificate of a first start is."""

from __future__ import annotations

import hashlib
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from services.certificates import bundle_rules
from services.certificates.bundle_rules import TOO_FEW_SECTIONS, BundleError
from tests.common.pki import Issued, bundle, make_ca, make_leaf

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def ca():
    return make_ca("Operator CA")


@pytest.fixture(scope="module")
def leaf(ca):
    return make_leaf(ca)


def test_a_valid_bundle_is_read_into_key_certificate_chain_and_ca(ca, leaf):
    parsed = bundle_rules.parse_server_bundle(bundle(leaf, ca), NOW)
    assert parsed.cert_pem == leaf.cert_pem
    assert parsed.chain_pem == ca.cert_pem
    assert parsed.ca_pem == ca.cert_pem
    assert serialization.load_pem_private_key(parsed.key_pem.encode(), None).public_key().public_numbers() == \
        leaf.key.public_key().public_numbers()


def test_an_intermediate_chain_is_checked_link_by_link_and_the_last_is_the_ca():
    root = make_ca("Root", rsa_key=True)
    intermediate = make_ca("Intermediate", issuer=root)
    server = make_leaf(intermediate)
    parsed = bundle_rules.parse_server_bundle(bundle(server, intermediate, root), NOW)
    assert parsed.chain_pem == intermediate.cert_pem + root.cert_pem
    assert parsed.ca_pem == root.cert_pem
    with pytest.raises(BundleError, match="not signed"):
        bundle_rules.parse_server_bundle(bundle(server, root, intermediate), NOW)


@pytest.mark.parametrize("sections", [0, 1, 2])
def test_fewer_than_three_sections_is_the_spec_refusal(ca, leaf, sections):
    text = (leaf.key_pem + leaf.cert_pem + ca.cert_pem)
    parts = bundle_rules.pem_sections(text)[:sections]
    with pytest.raises(BundleError) as refused:
        bundle_rules.parse_server_bundle("".join(section for _, section in parts) or "not a pem", NOW)
    assert str(refused.value) == TOO_FEW_SECTIONS


def test_three_sections_without_a_key_or_without_a_ca_are_refused(ca, leaf):
    with pytest.raises(BundleError, match=TOO_FEW_SECTIONS):
        bundle_rules.parse_server_bundle(leaf.cert_pem + ca.cert_pem + ca.cert_pem, NOW)
    with pytest.raises(BundleError, match=TOO_FEW_SECTIONS):
        bundle_rules.parse_server_bundle(leaf.key_pem + ca.key_pem + leaf.cert_pem, NOW)


def test_a_key_of_another_certificate_is_refused(ca, leaf):
    other = make_leaf(ca)
    with pytest.raises(BundleError, match="does not match"):
        bundle_rules.parse_server_bundle(other.key_pem + leaf.cert_pem + ca.cert_pem, NOW)


def test_a_certificate_not_signed_by_the_given_ca_is_refused(leaf):
    stranger = make_ca("Operator CA")  # same name, other key: the signature decides
    with pytest.raises(BundleError, match="not signed"):
        bundle_rules.parse_server_bundle(bundle(leaf, stranger), NOW)


def test_an_expired_or_not_yet_valid_certificate_is_refused(ca):
    expired = make_leaf(ca, not_before=NOW - timedelta(days=30), not_after=NOW - timedelta(days=1))
    future = make_leaf(ca, not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=30))
    with pytest.raises(BundleError, match="expired"):
        bundle_rules.parse_server_bundle(bundle(expired, ca), NOW)
    with pytest.raises(BundleError, match="not yet valid"):
        bundle_rules.parse_server_bundle(bundle(future, ca), NOW)


def test_an_expired_ca_is_refused():
    old_ca = make_ca("Old", not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    server = make_leaf(old_ca)
    with pytest.raises(BundleError, match="expired"):
        bundle_rules.parse_server_bundle(bundle(server, old_ca), NOW)


def test_an_encrypted_key_or_unreadable_sections_are_refused_without_quoting_them(ca, leaf):
    encrypted = leaf.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"pw")).decode()
    with pytest.raises(BundleError, match="not encrypted"):
        bundle_rules.parse_server_bundle(encrypted + leaf.cert_pem + ca.cert_pem, NOW)
    garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(BundleError) as refused:
        bundle_rules.parse_server_bundle(leaf.key_pem + garbage + ca.cert_pem, NOW)
    assert "AAAA" not in str(refused.value)


def test_the_default_is_a_ca_and_a_server_certificate_for_the_hostnames():
    made = bundle_rules.generate_default(NOW, ["localhost", "127.0.0.1", "gw1"])
    server = x509.load_pem_x509_certificate(made.cert_pem.encode())
    ca = x509.load_pem_x509_certificate(made.ca_pem.encode())
    assert made.chain_pem == made.ca_pem
    assert bundle_rules.is_signed_by(server, ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "gw1"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert server.not_valid_before_utc <= NOW < server.not_valid_after_utc
    # What the default is, an operator could have uploaded: the same rules accept it.
    again = bundle_rules.parse_server_bundle(made.key_pem + made.cert_pem + made.ca_pem, NOW)
    assert again == made


def test_two_defaults_are_different_keys_and_cas():
    first, second = (bundle_rules.generate_default(NOW, ["localhost"]) for _ in range(2))
    assert first.key_pem != second.key_pem
    assert first.ca_pem != second.ca_pem


def test_the_default_loads_into_a_tls_server_context_through_an_encrypted_key(tmp_path: Path):
    made = bundle_rules.generate_default(NOW, ["localhost"])
    (tmp_path / "chain.pem").write_text(made.full_chain_pem())
    encrypted = bundle_rules.encrypted_key_pem(made.key_pem, b"password")
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    (tmp_path / "key.pem").write_bytes(encrypted)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "chain.pem", tmp_path / "key.pem", password=b"password")


@pytest.mark.parametrize(("bind_host", "expected"), [
    ("127.0.0.1", ["localhost", "127.0.0.1", "::1", "gw1"]),
    ("0.0.0.0", ["localhost", "127.0.0.1", "::1", "gw1"]),
    ("10.0.0.5", ["localhost", "127.0.0.1", "::1", "gw1", "10.0.0.5"]),
])
def test_default_hostnames_add_a_specific_bind_address(bind_host, expected):
    assert bundle_rules.default_hostnames(bind_host, "gw1") == expected


def test_webhook_cas_are_one_or_more_valid_ca_certificates(ca):
    other = make_ca("Second CA")
    assert bundle_rules.parse_ca_certificates(ca.cert_pem + other.cert_pem, NOW) == ca.cert_pem + other.cert_pem


@pytest.mark.parametrize("case", ["empty", "leaf", "key", "expired"])
def test_webhook_ca_refusals(ca, leaf, case):
    text = {
        "empty": "no pem here",
        "leaf": leaf.cert_pem,
        "key": ca.cert_pem + ca.key_pem,
        "expired": make_ca("Old", not_before=NOW - timedelta(days=9), not_after=NOW - timedelta(days=1)).cert_pem,
    }[case]
    with pytest.raises(BundleError):
        bundle_rules.parse_ca_certificates(text, NOW)


def test_an_oversized_body_is_refused_before_it_is_parsed(ca, leaf):
    padding = "x" * bundle_rules.MAX_BUNDLE_BYTES
    with pytest.raises(BundleError, match="larger than"):
        bundle_rules.parse_server_bundle(bundle(leaf, ca) + padding, NOW)
    with pytest.raises(BundleError, match="larger than"):
        bundle_rules.parse_ca_certificates(ca.cert_pem + padding, NOW)


def test_the_ca_fingerprint_is_openssls_sha256_of_the_ca():
    made = bundle_rules.generate_default(NOW, ["localhost"])
    der = ssl.PEM_cert_to_DER_cert(made.ca_pem)
    expected = hashlib.sha256(der).hexdigest().upper()
    assert made.ca_fingerprint().replace(":", "") == expected
    assert made.ca_fingerprint() != bundle_rules.generate_default(NOW, ["localhost"]).ca_fingerprint()


def test_a_ca_certificate_is_refused_as_the_servers_certificate():
    root = make_ca("Root")
    intermediate = make_ca("Intermediate", issuer=root)
    with pytest.raises(BundleError, match="first certificate is a CA"):
        bundle_rules.parse_server_bundle(bundle(intermediate, root), NOW)


def test_an_issuer_that_is_not_a_ca_is_refused():
    root = make_ca("Root")
    not_a_ca = make_leaf(root, ("issuer.example",))
    server = make_leaf(Issued(not_a_ca.key, not_a_ca.certificate), ("localhost",))
    with pytest.raises(BundleError, match="not a CA certificate"):
        bundle_rules.parse_server_bundle(bundle(server, not_a_ca, root), NOW)


def test_the_private_key_is_not_in_the_repr():
    made = bundle_rules.generate_default(NOW, ["localhost"])
    assert "PRIVATE KEY" not in repr(made) and made.key_pem.split("\n")[1] not in repr(made)
