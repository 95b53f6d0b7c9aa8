"""Sealing secrets (private keys, sessions, network credentials) for storage.

Format v1: 0x01 || salt (16) || nonce (12) || AES-256-GCM ciphertext+tag, where the
AES key is HKDF-SHA256(master_key, salt, "wa-onprem/at-rest/v1") and the AAD is the
version byte followed by the caller's context (e.g. b"session:15551234567").

A fresh subkey per seal lifts the usual 2**32-messages-per-key limit of random GCM
nonces: sessions are re-sealed after every message, for years, under one master key.
The context stops a stored blob from being swapped into another record.
"""

from __future__ import annotations

from . import primitives as p
from .errors import ProtocolError

VERSION = 1
_INFO = b"wa-onprem/at-rest/v1"
_SALT_LEN = 16
_HEADER_LEN = 1 + _SALT_LEN + p.AEAD_NONCE_LEN


def _subkey(master_key: bytes, salt: bytes) -> bytes:
    if not isinstance(master_key, bytes) or len(master_key) != p.KEY_LEN:
        raise ProtocolError("master key must be 32 bytes")
    return p.hkdf_sha256(master_key, salt=salt, info=_INFO, length=p.KEY_LEN)


def seal(master_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    salt = p.random_bytes(_SALT_LEN)
    nonce = p.random_bytes(p.AEAD_NONCE_LEN)
    version = bytes([VERSION])
    ciphertext = p.aead_encrypt(_subkey(master_key, salt), nonce, plaintext, version + context)
    return version + salt + nonce + ciphertext


def open_sealed(master_key: bytes, sealed: bytes, context: bytes) -> bytes:
    """Raises ``DecryptionError`` for a wrong key, context or a modified blob."""
    if not isinstance(sealed, bytes) or len(sealed) < _HEADER_LEN + p.AEAD_TAG_LEN:
        raise ProtocolError("sealed blob is too short")
    if sealed[0] != VERSION:
        raise ProtocolError(f"unsupported sealed blob version {sealed[0]}")
    salt = sealed[1 : 1 + _SALT_LEN]
    nonce = sealed[1 + _SALT_LEN : _HEADER_LEN]
    return p.aead_decrypt(_subkey(master_key, salt), nonce, sealed[_HEADER_LEN:], sealed[:1] + context)
