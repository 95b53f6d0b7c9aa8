from __future__ import annotations

import base64
import json

import pytest

from sandbox.network.certificates import CertificateAuthority, CertificateError, canonical_json


def decode(cert: str) -> dict:
    return json.loads(base64.b64decode(cert))


def encode(document: dict) -> str:
    return base64.b64encode(canonical_json(document)).decode()


def test_issue_and_verify():
    ca = CertificateAuthority()
    cert = ca.issue("1", "5550100", "Acme")
    details = ca.verify(cert, cc="1", phone_number="5550100")
    assert (details.cc, details.phone_number, details.vname, details.issuer) == ("1", "5550100", "Acme", "sandbox")
    document = decode(cert)
    assert set(document) == {"details", "signature"}
    assert set(document["details"]) == {"cc", "phone_number", "vname", "issuer", "serial"}


def test_serials_differ():
    ca = CertificateAuthority()
    assert (
        decode(ca.issue("1", "5550100", "A"))["details"]["serial"]
        != decode(ca.issue("1", "5550100", "A"))["details"]["serial"]
    )


def test_number_must_match():
    ca = CertificateAuthority()
    cert = ca.issue("1", "5550100", "Acme")
    with pytest.raises(CertificateError):
        ca.verify(cert, cc="44", phone_number="5550100")
    with pytest.raises(CertificateError):
        ca.verify(cert, cc="1", phone_number="5550101")


@pytest.mark.parametrize("field,value", [("vname", "Evil"), ("phone_number", "5550199"), ("issuer", "meta")])
def test_tampered_details_are_rejected(field, value):
    ca = CertificateAuthority()
    document = decode(ca.issue("1", "5550100", "Acme"))
    document["details"][field] = value
    with pytest.raises(CertificateError):
        ca.verify(encode(document))


def test_other_authority_is_rejected():
    cert = CertificateAuthority().issue("1", "5550100", "Acme")
    with pytest.raises(CertificateError):
        CertificateAuthority().verify(cert)


@pytest.mark.parametrize(
    "cert",
    [None, "", "%%%", base64.b64encode(b"[1]").decode(), encode({"details": {}, "signature": "AA=="}), 42],
)
def test_malformed_is_rejected(cert):
    with pytest.raises(CertificateError):
        CertificateAuthority().verify(cert)


def test_key_round_trip():
    ca = CertificateAuthority()
    cert = ca.issue("1", "5550100", "Acme")
    again = CertificateAuthority.from_private_bytes(ca.private_bytes())
    assert again.verify(cert).vname == "Acme"
    assert again.public_key_b64() == ca.public_key_b64()
