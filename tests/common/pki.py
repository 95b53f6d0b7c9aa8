"""Test CAs and certificates, made with ``cryptography`` like a private CA of an operator
would be: for bundles to install, and for HTTPS servers the tests start themselves."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

LOOPBACK = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    @property
    def cert_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        """(certificate file, key file), e.g. for ``ssl.SSLContext.load_cert_chain``."""
        cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
        cert_file.write_text(self.cert_pem)
        key_file.write_text(self.key_pem)
        return cert_file, key_file


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "Test CA", *, issuer: Issued | None = None, not_before: datetime | None = None,
            not_after: datetime | None = None, rsa_key: bool = False) -> Issued:
    """A CA, self-signed or (``issuer``) an intermediate."""
    now = datetime.now(UTC)
    key = rsa.generate_private_key(65537, 2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.certificate.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    return Issued(key, builder.sign(issuer.key if issuer else key, hashes.SHA256()))


def make_leaf(ca: Issued, hostnames: tuple[str, ...] = LOOPBACK, *, not_before: datetime | None = None,
              not_after: datetime | None = None, client: bool = False) -> Issued:
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [_general_name(name) for name in hostnames]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(hostnames[0]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CLIENT_AUTH]),
                                        critical=False)
    return Issued(key, builder.sign(ca.key, hashes.SHA256()))


def bundle(leaf: Issued, *cas: Issued) -> str:
    """The bundle of ``POST /v1/certificates/external``: key, certificate, CA chain."""
    return leaf.key_pem + leaf.cert_pem + "".join(ca.cert_pem for ca in cas)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
