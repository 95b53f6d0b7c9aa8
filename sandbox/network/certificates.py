"""Verified-name certificates signed by the sandbox.

A certificate is ``base64(JSON {"details": {...}, "signature": base64})`` where
``details`` is ``{"cc", "phone_number", "vname", "issuer": "sandbox", "serial"}`` and
``signature`` is the sandbox's Ed25519 signature over the canonical JSON of
``details`` (keys sorted, no spaces, UTF-8). Standard base64 alphabet with padding.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ISSUER = "sandbox"


class CertificateError(ValueError):
    """The certificate is malformed, tampered with or for another number."""


@dataclass(frozen=True)
class CertificateDetails:
    cc: str
    phone_number: str
    vname: str
    serial: str
    issuer: str = ISSUER

    def to_dict(self) -> dict[str, str]:
        return {
            "cc": self.cc,
            "phone_number": self.phone_number,
            "vname": self.vname,
            "issuer": self.issuer,
            "serial": self.serial,
        }


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class CertificateAuthority:
    """Issues and checks verified-name certificates with one Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey | None = None) -> None:
        self._key = private_key or Ed25519PrivateKey.generate()
        self._public: Ed25519PublicKey = self._key.public_key()

    # -- persistence -------------------------------------------------------
    def private_bytes(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> CertificateAuthority:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def public_key_b64(self) -> str:
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return _b64(raw)

    # -- issue / verify ----------------------------------------------------
    def issue(self, cc: str, phone_number: str, vname: str) -> str:
        details = CertificateDetails(cc, phone_number, vname, serial=secrets.token_hex(8))
        body = details.to_dict()
        signature = self._key.sign(canonical_json(body))
        document = {"details": body, "signature": _b64(signature)}
        return _b64(canonical_json(document))

    def verify(self, cert: Any, cc: str | None = None, phone_number: str | None = None) -> CertificateDetails:
        """Return the certificate's details; raise CertificateError when it is not valid
        (or, with ``cc``/``phone_number``, when it is for another number)."""
        if not isinstance(cert, str) or not cert:
            raise CertificateError("certificate must be a non-empty base64 string")
        try:
            document = json.loads(base64.b64decode(cert.strip(), validate=True))
        except (binascii.Error, ValueError) as exc:
            raise CertificateError("certificate is not base64 JSON") from exc
        if not isinstance(document, dict):
            raise CertificateError("certificate is not a JSON object")
        details = document.get("details")
        signature = document.get("signature")
        if not isinstance(details, dict) or not isinstance(signature, str):
            raise CertificateError("certificate lacks details or signature")
        fields = ("cc", "phone_number", "vname", "issuer", "serial")
        if set(details) != set(fields) or not all(isinstance(details[f], str) for f in fields):
            raise CertificateError("certificate details are malformed")
        if details["issuer"] != ISSUER:
            raise CertificateError("certificate was not issued by the sandbox")
        try:
            self._public.verify(base64.b64decode(signature, validate=True), canonical_json(details))
        except (binascii.Error, ValueError, InvalidSignature) as exc:
            raise CertificateError("certificate signature is invalid") from exc
        if cc is not None and details["cc"] != cc:
            raise CertificateError("certificate is for another country code")
        if phone_number is not None and details["phone_number"] != phone_number:
            raise CertificateError("certificate is for another phone number")
        return CertificateDetails(
            cc=details["cc"],
            phone_number=details["phone_number"],
            vname=details["vname"],
            serial=details["serial"],
        )
