"""The backup blob: a JSON payload encrypted under a password. Pure.

Layout (then base64, the text ``POST /v1/settings/backup`` answers)::

    b"WABK" || format version (1 byte) || header length (2 bytes, big endian)
    || header (JSON: {"kdf": "argon2id", "t", "m", "p", "salt"}) || nonce (12) || AES-256-GCM ciphertext+tag

The AES key is argon2id(password, salt) with the header's parameters, so a blob made
with older (cheaper or dearer) parameters still opens after the defaults change. The
AAD is everything before the nonce: a header that was edited (weaker parameters, another
salt) fails the tag like a wrong password does. The parameters a header may ask for are
bounded, so a forged blob cannot make the server spend gigabytes or minutes on it;
``read_sealed`` checks them without deriving anything, so a caller can refuse a blob
(or wait its turn) before paying for the KDF, and ``open_sealed`` then derives.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"WABK"
FORMAT_VERSION = 1
KDF = "argon2id"
_KEY_LEN = 32
_NONCE_LEN = 12
_SALT_LEN = 16
_TAG_LEN = 16
_PREFIX_LEN = len(MAGIC) + 1 + 2
MAX_BLOB_CHARS = 8 * 1024 * 1024
"""A backup holds keys, settings and a certificate: kilobytes. Anything far larger is not one."""
# What one restore may cost: a few times the defaults (t=3, 64 MiB, p=2), about a second
# of one core; a forged header asks for no more.
MAX_TIME_COST = 4
MAX_MEMORY_KIB = 256 * 1024
MAX_PARALLELISM = 4


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 2

    def check(self) -> None:
        """Raises BadBlob for parameters outside what a server is willing to run."""
        if not (1 <= self.time_cost <= MAX_TIME_COST and 8 * self.parallelism <= self.memory_kib <= MAX_MEMORY_KIB
                and 1 <= self.parallelism <= MAX_PARALLELISM):
            raise BadBlob("the backup's key derivation parameters are out of range")


DEFAULT_KDF = KdfParams()


class BackupError(Exception):
    """The blob cannot be opened; ``str()`` is safe to show (it holds no secret)."""


class BadBlob(BackupError):
    """Not a backup of ours: not base64, no magic, an unknown version, a broken header."""


class WrongPassword(BackupError):
    """The tag did not verify: the password is wrong or the blob was altered."""


def _derive(password: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(password.encode(), salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
                           parallelism=params.parallelism, hash_len=_KEY_LEN, type=Type.ID)


def _header(params: KdfParams, salt: bytes) -> bytes:
    return json.dumps({"kdf": KDF, "t": params.time_cost, "m": params.memory_kib, "p": params.parallelism,
                       "salt": base64.b64encode(salt).decode()}, sort_keys=True).encode()


def seal(password: str, payload: dict[str, Any], params: KdfParams = DEFAULT_KDF) -> str:
    """``payload`` (JSON-serialisable) encrypted under ``password``, as base64 text."""
    params.check()
    salt = os.urandom(_SALT_LEN)
    header = _header(params, salt)
    prefix = MAGIC + bytes([FORMAT_VERSION]) + len(header).to_bytes(2, "big") + header
    nonce = os.urandom(_NONCE_LEN)
    plaintext = json.dumps(payload, separators=(",", ":")).encode()
    ciphertext = AESGCM(_derive(password, salt, params)).encrypt(nonce, plaintext, prefix)
    return base64.b64encode(prefix + nonce + ciphertext).decode()


def _decode(blob: str) -> bytes:
    if not isinstance(blob, str) or len(blob) > MAX_BLOB_CHARS:
        raise BadBlob("the backup data is not a backup")
    try:
        return base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise BadBlob("the backup data is not base64") from None


def _json(raw: bytes) -> Any:
    """JSON, or None for text that is not (nesting deep enough to exhaust the parser's
    recursion is not JSON we made)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _whole_number(header: dict[str, Any], name: str) -> int:
    value = header.get(name)
    # A float (1e400), a bool or a string is not what ``_header`` wrote.
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadBlob("the backup's header is unreadable")
    return value


def _parse_header(raw: bytes) -> tuple[KdfParams, bytes]:
    header = _json(raw)
    if not isinstance(header, dict):
        raise BadBlob("the backup's header is unreadable")
    if header.get("kdf") != KDF:
        raise BadBlob(f"the backup uses an unknown key derivation {str(header.get('kdf'))[:20]!r}")
    params = KdfParams(time_cost=_whole_number(header, "t"), memory_kib=_whole_number(header, "m"),
                       parallelism=_whole_number(header, "p"))
    params.check()
    encoded_salt = header.get("salt")
    try:
        if not isinstance(encoded_salt, str):
            raise TypeError
        salt = base64.b64decode(encoded_salt, validate=True)
    except (ValueError, TypeError, binascii.Error):
        raise BadBlob("the backup's header is unreadable") from None
    if len(salt) < 8:
        raise BadBlob("the backup's salt is too short")
    return params, salt


@dataclass(frozen=True)
class Sealed:
    """A blob whose framing and header were checked; nothing derived yet."""

    params: KdfParams
    salt: bytes
    aad: bytes
    nonce: bytes
    ciphertext: bytes


def read_sealed(blob: str) -> Sealed:
    """``blob``'s framing and header, checked without the password; BadBlob otherwise."""
    data = _decode(blob)
    if len(data) < _PREFIX_LEN or not data.startswith(MAGIC):
        raise BadBlob("the backup data is not a backup")
    version = data[len(MAGIC)]
    if version != FORMAT_VERSION:
        raise BadBlob(f"the backup's format version {version} is not supported")
    header_end = _PREFIX_LEN + int.from_bytes(data[len(MAGIC) + 1:_PREFIX_LEN], "big")
    if len(data) < header_end + _NONCE_LEN + _TAG_LEN:
        raise BadBlob("the backup data is truncated")
    params, salt = _parse_header(data[_PREFIX_LEN:header_end])
    return Sealed(params, salt, data[:header_end], data[header_end:header_end + _NONCE_LEN],
                  data[header_end + _NONCE_LEN:])


def open_sealed(password: str, sealed: Sealed) -> dict[str, Any]:
    """The payload ``seal`` encrypted (the KDF runs here); WrongPassword or BadBlob otherwise."""
    try:
        plaintext = AESGCM(_derive(password, sealed.salt, sealed.params)).decrypt(
            sealed.nonce, sealed.ciphertext, sealed.aad)
    except InvalidTag:
        raise WrongPassword("the password is wrong or the backup was altered") from None
    payload = _json(plaintext)
    if not isinstance(payload, dict):
        raise BadBlob("the backup's content is unreadable")
    return payload


def open_blob(password: str, blob: str) -> dict[str, Any]:
    """The payload ``seal`` encrypted; BadBlob or WrongPassword otherwise."""
    return open_sealed(password, read_sealed(blob))
