"""Thin wrappers over ``cryptography``: raw-bytes in, raw-bytes out, our exceptions out.

Keeping key objects out of the rest of the package means every state is plain bytes
and therefore trivially serializable.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import DecryptionError, InvalidSignature, ProtocolError

KEY_LEN = 32
SIGNATURE_LEN = 64
AEAD_NONCE_LEN = 12
AEAD_TAG_LEN = 16


def random_bytes(length: int) -> bytes:
    return os.urandom(length)


def _check_len(data: bytes, length: int, what: str) -> None:
    if not isinstance(data, bytes) or len(data) != length:
        raise ProtocolError(f"{what} must be {length} bytes")


# --- X25519 ---------------------------------------------------------------------------


def x25519_generate() -> tuple[bytes, bytes]:
    """A fresh key pair as (private, public)."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def x25519_public(private: bytes) -> bytes:
    _check_len(private, KEY_LEN, "X25519 private key")
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def x25519(private: bytes, public: bytes) -> bytes:
    """RFC 7748 X25519(k, u); rejects the all-zero output of low-order points."""
    _check_len(private, KEY_LEN, "X25519 private key")
    _check_len(public, KEY_LEN, "X25519 public key")
    try:
        return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:
        raise ProtocolError("X25519 with a low-order public key") from exc


# --- Ed25519 --------------------------------------------------------------------------


def ed25519_generate() -> tuple[bytes, bytes]:
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def ed25519_public(private: bytes) -> bytes:
    _check_len(private, KEY_LEN, "Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def ed25519_sign(private: bytes, message: bytes) -> bytes:
    _check_len(private, KEY_LEN, "Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(private).sign(message)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> None:
    _check_len(public, KEY_LEN, "Ed25519 public key")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LEN:
        raise InvalidSignature("malformed signature")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (_CryptoInvalidSignature, ValueError) as exc:
        raise InvalidSignature("signature does not verify") from exc


# --- hashes and KDFs ------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-SHA256. ``salt=None`` or ``b""`` both mean HashLen zero bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


# --- AEAD -----------------------------------------------------------------------------


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """AES-256-GCM; returns ciphertext || 16-byte tag."""
    _check_len(key, KEY_LEN, "AES-256 key")
    _check_len(nonce, AEAD_NONCE_LEN, "GCM nonce")
    return AESGCM(key).encrypt(nonce, plaintext, associated_data)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    _check_len(key, KEY_LEN, "AES-256 key")
    _check_len(nonce, AEAD_NONCE_LEN, "GCM nonce")
    if len(ciphertext) < AEAD_TAG_LEN:
        raise DecryptionError("ciphertext shorter than the tag")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc
