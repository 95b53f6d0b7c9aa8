"""Incremental media encryption and decryption, for files too large to hold (100 MB).

The encrypted file is ``AES-256-CBC(cipher_key, iv, PKCS#7(plaintext)) || mac`` with
``mac = HMAC-SHA256(mac_key, iv || ciphertext)[:10]``. Both directions keep only a few
blocks of state whatever the file size: feed chunks of any size to ``update`` and pass
on what it returns; ``finalize`` returns the last bytes.

Decryption is one pass: ``update`` returns plaintext *before* the MAC is known, and
only ``finalize`` verifies it (then the hashes and the padding). Everything ``update``
returned is unauthenticated until ``finalize`` returns; if anything raises, the caller
must discard all of it (write to a temporary object and delete it on failure, never
serve or store it). A first pass that verifies the MAC before decrypting would never
emit unauthenticated bytes, but it reads the file twice and needs the whole ciphertext
kept somewhere in between; the caller can still do that with this class (hold the
output back until ``finalize``).
"""

from __future__ import annotations

import hashlib
import hmac as _stdlib_hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC

from .errors import ProtocolError
from .media_errors import BadMediaHash, BadMediaLength, BadMediaMac, BadMediaPadding
from .media_keys import MediaKeys

MAC_LEN = 10
_BLOCK = 16


def encrypted_length(file_length: int) -> int:
    """Length of the encrypted file for a plaintext of ``file_length`` bytes: PKCS#7
    always adds 1 to 16 bytes, then the MAC."""
    return (file_length // _BLOCK + 1) * _BLOCK + MAC_LEN


@dataclass(frozen=True)
class MediaDigest:
    """What the encryptor reports and the decryptor checks; it travels with the media
    key inside the end-to-end message."""

    file_sha256: bytes
    """SHA-256 of the plaintext."""
    file_enc_sha256: bytes
    """SHA-256 of the encrypted file (ciphertext + MAC), as the media store holds it."""
    file_length: int
    """Plaintext length in bytes."""

    def __post_init__(self) -> None:
        for name in ("file_sha256", "file_enc_sha256"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise ProtocolError(f"media {name} must be 32 bytes")
        length = self.file_length
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise ProtocolError("media file_length must be a non-negative integer")

    @property
    def encrypted_length(self) -> int:
        return encrypted_length(self.file_length)


def _cipher(keys: MediaKeys) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(keys.cipher_key), modes.CBC(keys.iv))


def _mac(keys: MediaKeys) -> HMAC:
    mac = HMAC(keys.mac_key, hashes.SHA256())
    mac.update(keys.iv)
    return mac


class _OneShot:
    """Refuses use after ``finalize`` or after a failure (the state is then meaningless)."""

    _closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise ProtocolError(f"{type(self).__name__} already finalized or failed")


class MediaEncryptor(_OneShot):
    def __init__(self, keys: MediaKeys) -> None:
        self._encryptor = _cipher(keys).encryptor()
        self._padder = padding.PKCS7(128).padder()
        self._mac = _mac(keys)
        self._plain_hash = hashlib.sha256()
        self._enc_hash = hashlib.sha256()
        self._length = 0

    def update(self, chunk: bytes) -> bytes:
        """Encrypts the next plaintext chunk; returns the ciphertext ready so far."""
        self._check_open()
        self._length += len(chunk)
        self._plain_hash.update(chunk)
        return self._out(self._encryptor.update(self._padder.update(chunk)))

    def finalize(self) -> tuple[bytes, MediaDigest]:
        """The last ciphertext bytes with the MAC appended, and the file's digest."""
        self._check_open()
        self._closed = True
        tail = self._out(self._encryptor.update(self._padder.finalize()) + self._encryptor.finalize())
        mac = self._mac.finalize()[:MAC_LEN]
        self._enc_hash.update(mac)
        digest = MediaDigest(
            file_sha256=self._plain_hash.digest(),
            file_enc_sha256=self._enc_hash.digest(),
            file_length=self._length,
        )
        return tail + mac, digest

    def _out(self, ciphertext: bytes) -> bytes:
        self._mac.update(ciphertext)
        self._enc_hash.update(ciphertext)
        return ciphertext


class MediaDecryptor(_OneShot):
    """Decrypts a file announced by ``expected``; see the module docstring: the output of
    ``update`` must be discarded unless ``finalize`` returns.

    The announced length fixes where the MAC starts, so a chunk is split by offset
    (no look-ahead buffer) and a file longer than announced fails at once, before the
    caller has downloaded the excess.
    """

    def __init__(self, keys: MediaKeys, expected: MediaDigest) -> None:
        self._expected = expected
        self._total = expected.encrypted_length
        self._mac_start = self._total - MAC_LEN
        self._decryptor = _cipher(keys).decryptor()
        self._unpadder = padding.PKCS7(128).unpadder()
        self._mac = _mac(keys)
        self._enc_hash = hashlib.sha256()
        self._plain_hash = hashlib.sha256()
        self._received = 0
        self._plain_length = 0
        self._received_mac = b""

    def update(self, chunk: bytes) -> bytes:
        """Decrypts the next chunk of the encrypted file; returns unauthenticated plaintext."""
        self._check_open()
        start = self._received
        self._received += len(chunk)
        if self._received > self._total:
            self._closed = True
            raise BadMediaLength(f"encrypted file is longer than the {self._total} bytes announced")
        self._enc_hash.update(chunk)
        body_len = max(0, min(self._received, self._mac_start) - start)
        body = chunk[:body_len]
        self._received_mac += chunk[body_len:]
        self._mac.update(body)
        return self._out(self._unpadder.update(self._decryptor.update(body)))

    def finalize(self) -> bytes:
        """Verifies length, MAC, encrypted hash, padding and plaintext hash, in that
        order; returns the last plaintext bytes or raises a ``MediaError``."""
        self._check_open()
        self._closed = True
        if self._received != self._total:
            raise BadMediaLength(f"encrypted file is {self._received} bytes, {self._total} announced")
        if not _stdlib_hmac.compare_digest(self._mac.finalize()[:MAC_LEN], self._received_mac):
            raise BadMediaMac("media MAC does not verify")
        if not _stdlib_hmac.compare_digest(self._enc_hash.digest(), self._expected.file_enc_sha256):
            raise BadMediaHash("file_enc_sha256 does not match the encrypted file")
        try:
            tail = self._out(self._unpadder.update(self._decryptor.finalize()) + self._unpadder.finalize())
        except ValueError as exc:
            raise BadMediaPadding("invalid PKCS#7 padding") from exc
        if self._plain_length != self._expected.file_length:
            raise BadMediaLength(f"plaintext is {self._plain_length} bytes, {self._expected.file_length} announced")
        if not _stdlib_hmac.compare_digest(self._plain_hash.digest(), self._expected.file_sha256):
            raise BadMediaHash("file_sha256 does not match the decrypted file")
        return tail

    def _out(self, plaintext: bytes) -> bytes:
        self._plain_length += len(plaintext)
        self._plain_hash.update(plaintext)
        return plaintext
