"""Pure rules of the gateway's HTTPS certificate and the webhook CA (spec §10.2): reading
and validating PEM bundles, and generating the default CA and server certificate.

Nothing here touches the database or the network; ``services/certificates/store.py``
keeps what these functions produce. Every refusal is a ``BundleError`` whose message is
safe to return to the client (it never quotes the bundle).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The spec's wording for a bundle of fewer than three sections (§10.2).
TOO_FEW_SECTIONS = "Certificate must contain private key, cert and at least one CA certificate sections"
# An operator's bundle is a few certificates; a megabyte is far beyond any real one.
MAX_BUNDLE_BYTES = 64 * 1024

CA_VALIDITY = timedelta(days=10 * 365)
SERVER_VALIDITY = timedelta(days=825)  # the longest validity clients have accepted for a leaf
BACKDATE = timedelta(hours=1)  # tolerates clients whose clocks run a little behind

_SECTION = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_KEY_LABELS = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
_CERT_LABEL = "CERTIFICATE"


class BundleError(ValueError):
    """A bundle refused; the message says why without quoting it."""


@dataclass(frozen=True)
class ServerCertificate:
    """What an HTTPS listener serves: its key, its certificate and the chain above it,
    each in PEM, and the CA(s) a client should trust (``GET /v1/certificates/external/ca``)."""

    key_pem: str = field(repr=False)  # never in a log line or a traceback
    cert_pem: str
    chain_pem: str
    ca_pem: str

    def full_chain_pem(self) -> str:
        return self.cert_pem + self.chain_pem

    def ca_fingerprint(self) -> str:
        """SHA-256 of the first CA certificate, as ``openssl x509 -fingerprint -sha256``
        prints it: what an operator compares the first download of the CA against."""
        digest = _load_certificate(pem_sections(self.ca_pem)[0][1]).fingerprint(hashes.SHA256())
        return ":".join(f"{byte:02X}" for byte in digest)


def pem_sections(text: str) -> list[tuple[str, str]]:
    """(label, section text) of every PEM section in ``text``, in order."""
    return [(match.group(1), match.group(0) + "\n") for match in _SECTION.finditer(text)]


def parse_server_bundle(text: str, now: datetime) -> ServerCertificate:
    """An operator's bundle (private key, certificate, at least one CA certificate) once
    it is checked: the key matches the certificate, the certificate is signed by the
    next one, the chain is present, and no certificate is expired or not yet valid."""
    _check_size(text)
    sections = pem_sections(text)
    if len(sections) < 3:
        raise BundleError(TOO_FEW_SECTIONS)
    keys = [section for label, section in sections if label in _KEY_LABELS]
    certs = [section for label, section in sections if label == _CERT_LABEL]
    if len(keys) != 1 or len(certs) < 2:
        raise BundleError(TOO_FEW_SECTIONS)
    key = _load_key(keys[0])
    chain = [_load_certificate(section) for section in certs]
    leaf, issuers = chain[0], chain[1:]
    if not _same_public_key(key.public_key(), _public_key(leaf)):
        raise BundleError("The private key does not match the certificate")
    if _is_ca(leaf):
        # Its key would then be served: the first certificate must be the server's own.
        raise BundleError("The first certificate is a CA certificate, not the server's")
    if not all(_is_ca(issuer) for issuer in issuers):
        raise BundleError("A certificate after the first is not a CA certificate")
    for certificate in chain:
        check_validity(certificate, now)
    for child, issuer in zip(chain, issuers, strict=False):
        if not is_signed_by(child, issuer):
            raise BundleError("The certificate is not signed by the CA certificate that follows it")
    return ServerCertificate(
        key_pem=_key_pem(key),
        cert_pem=_cert_pem(leaf),
        chain_pem="".join(_cert_pem(issuer) for issuer in issuers),
        ca_pem=_cert_pem(issuers[-1]),
    )


def parse_ca_certificates(text: str, now: datetime) -> str:
    """The webhook CA upload: one or more CA certificates, valid now; returns them as
    normalised PEM. Anything else in the text (a private key) is refused."""
    _check_size(text)
    sections = pem_sections(text)
    if not sections:
        raise BundleError("The body must hold one or more PEM CA certificates")
    if any(label != _CERT_LABEL for label, _ in sections):
        raise BundleError("Only CERTIFICATE sections are accepted")
    certificates = [_load_certificate(section) for _, section in sections]
    for certificate in certificates:
        check_validity(certificate, now)
        if not _is_ca(certificate):
            raise BundleError("A certificate is not a CA certificate")
    return "".join(_cert_pem(certificate) for certificate in certificates)


def _check_size(text: str) -> None:
    if len(text.encode()) > MAX_BUNDLE_BYTES:
        raise BundleError(f"The body is larger than {MAX_BUNDLE_BYTES} bytes")


def check_validity(certificate: x509.Certificate, now: datetime) -> None:
    if now < certificate.not_valid_before_utc:
        raise BundleError("A certificate is not yet valid")
    if now > certificate.not_valid_after_utc:
        raise BundleError("A certificate has expired")


def is_signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    if child.issuer != issuer.subject:
        return False
    try:
        child.verify_directly_issued_by(issuer)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def generate_default(now: datetime, hostnames: Iterable[str]) -> ServerCertificate:
    """The self-signed default of a first start: a CA and a server certificate for
    ``hostnames`` (names or IP addresses) signed by it. P-256 keys: quick to make and
    accepted by every TLS client."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "WhatsApp Business API"),
        x509.NameAttribute(NameOID.COMMON_NAME, "WhatsApp Business API default CA"),
    ])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names = list(dict.fromkeys(hostnames))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "localhost")])
    server = (
        _builder(subject, ca_name, server_key.public_key(), now, SERVER_VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ServerCertificate(key_pem=_key_pem(server_key), cert_pem=_cert_pem(server),
                             chain_pem=_cert_pem(ca), ca_pem=_cert_pem(ca))


def default_hostnames(bind_host: str, machine_name: str) -> list[str]:
    """The names the default certificate is for: loopback, the machine, and the address
    the gateway binds when it is a specific one (not a wildcard)."""
    names = ["localhost", "127.0.0.1", "::1", machine_name]
    if bind_host not in {"", "0.0.0.0", "::"}:
        names.append(bind_host)
    return [name for name in dict.fromkeys(names) if name]


def encrypted_key_pem(key_pem: str, password: bytes) -> bytes:
    """The key encrypted with ``password``: ``ssl`` loads keys from files only, and this
    way the plaintext key never reaches one."""
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(password))


def _builder(subject: x509.Name, issuer: x509.Name, public_key, now: datetime,
             validity: timedelta) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=not ca, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _load_key(section: str):
    try:
        key = serialization.load_pem_private_key(section.encode(), password=None)
    except UnsupportedAlgorithm:
        raise BundleError("The private key type is not supported") from None
    except (ValueError, TypeError):
        # TypeError: an encrypted key, which the gateway could not open without its password.
        raise BundleError("The private key could not be read (it must be PEM and not encrypted)") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey,
                            ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        raise BundleError("The private key type is not supported")
    return key


def _load_certificate(section: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(section.encode())
    except ValueError:
        raise BundleError("A certificate could not be read") from None


def _public_key(certificate: x509.Certificate):
    try:
        return certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        raise BundleError("The certificate's key type is not supported") from None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
    except (x509.DuplicateExtension, ValueError):
        raise BundleError("A certificate's extensions could not be read") from None


def _same_public_key(first, second) -> bool:
    encoding, format_ = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(first.public_bytes(encoding, format_) == second.public_bytes(encoding, format_))


def _key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()

