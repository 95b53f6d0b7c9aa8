"""Sealing secrets (private keys, sessions, network credentials) for storage.

Format v2 (written): 0x02 || id length (1) || key id (ASCII) || salt (16) || nonce (12)
|| AES-256-GCM ciphertext+tag, where the AES key is HKDF-SHA256(master key named by
the id, salt, "wa-onprem/at-rest/v2") and the AAD is the header before the salt
(version, id length, id) followed by the caller's context (e.g. b"session:15551234567").

Format v1 (read only): 0x01 || salt (16) || nonce (12) || ciphertext+tag, subkey info
"wa-onprem/at-rest/v1", AAD 0x01 || context. It names no key, so it is opened by trying
each configured key, newest first (AES-GCM's tag tells the right one); re-sealing
(``python -m services.migrations.reseal``) turns every v1 blob into v2.

A fresh subkey per seal lifts the usual 2**32-messages-per-key limit of random GCM
nonces: sessions are re-sealed after every message, for years, under one master key.
The context stops a stored blob from being swapped into another record; the id in the
AAD stops a blob's header from being relabelled.
"""

from __future__ import annotations

from . import primitives as p
from .errors import DecryptionError, ProtocolError
from .keyring import Keyring, Keys, as_keyring

__all__ = ["VERSION", "Keyring", "Keys", "open_sealed", "seal", "sealed_key_id", "sealed_under_newest"]

VERSION = 2
_V1 = 1
_INFO = {_V1: b"wa-onprem/at-rest/v1", VERSION: b"wa-onprem/at-rest/v2"}
_SALT_LEN = 16
_BODY_MIN = _SALT_LEN + p.AEAD_NONCE_LEN + p.AEAD_TAG_LEN


def _subkey(version: int, master_key: bytes, salt: bytes) -> bytes:
    return p.hkdf_sha256(master_key, salt=salt, info=_INFO[version], length=p.KEY_LEN)


def seal(keys: Keys, plaintext: bytes, context: bytes) -> bytes:
    """``plaintext`` sealed under the keyring's newest key (a v2 blob naming it)."""
    keyring = as_keyring(keys)
    key_id = keyring.newest_id.encode("ascii")
    header = bytes([VERSION, len(key_id)]) + key_id
    salt = p.random_bytes(_SALT_LEN)
    nonce = p.random_bytes(p.AEAD_NONCE_LEN)
    ciphertext = p.aead_encrypt(_subkey(VERSION, keyring.newest, salt), nonce, plaintext, header + context)
    return header + salt + nonce + ciphertext


def open_sealed(keys: Keys, sealed: bytes, context: bytes) -> bytes:
    """Raises ``DecryptionError`` for a wrong or unconfigured key, a wrong context or a
    modified blob, ``ProtocolError`` for a malformed one."""
    keyring = as_keyring(keys)
    header, key_id = _header(sealed)
    if key_id is None:
        return _open_v1(keyring, sealed, context)
    key = keyring.key(key_id)
    if key is None:
        raise DecryptionError(f"sealed under master key {key_id!r}, which is not configured")
    return _open_body(VERSION, key, header, sealed[len(header):], context)


def sealed_key_id(sealed: bytes) -> str | None:
    """The id of the key a blob was sealed under; None for a v1 blob (no id)."""
    return _header(sealed)[1]


def sealed_under_newest(keys: Keys, sealed: bytes) -> bool:
    """Whether re-sealing would change nothing: the blob already names the newest key."""
    return sealed_key_id(sealed) == as_keyring(keys).newest_id


def _header(sealed: bytes) -> tuple[bytes, str | None]:
    """The header (what precedes the salt) and the key id it names."""
    if not isinstance(sealed, bytes) or not sealed:
        raise ProtocolError("sealed blob is too short")
    if sealed[0] == _V1:
        header, key_id = sealed[:1], None
    elif sealed[0] == VERSION and len(sealed) > 2:
        header = sealed[: 2 + sealed[1]]
        key_id = _key_id(header[2:])
    else:
        raise ProtocolError(f"unsupported sealed blob version {sealed[0]}")
    if len(sealed) < len(header) + _BODY_MIN:
        raise ProtocolError("sealed blob is too short")
    return header, key_id


def _key_id(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ProtocolError("sealed blob names an unreadable key id") from exc


def _open_v1(keyring: Keyring, sealed: bytes, context: bytes) -> bytes:
    for key in keyring.newest_first():
        try:
            return _open_body(_V1, key, sealed[:1], sealed[1:], context)
        except DecryptionError:
            continue
    raise DecryptionError("a v1 sealed blob opens under none of the configured master keys")


def _open_body(version: int, key: bytes, header: bytes, body: bytes, context: bytes) -> bytes:
    salt, nonce = body[:_SALT_LEN], body[_SALT_LEN : _SALT_LEN + p.AEAD_NONCE_LEN]
    ciphertext = body[_SALT_LEN + p.AEAD_NONCE_LEN :]
    return p.aead_decrypt(_subkey(version, key, salt), nonce, ciphertext, header + context)
