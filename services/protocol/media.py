"""Media encryption as WhatsApp does it: the whole-bytes API and the one import for
callers (the media service, the sandbox's phones).

A sender picks a fresh media key, encrypts the file, puts the encrypted file on the
network's media store (which only ever sees ciphertext) and sends the media key and
the ``MediaDigest`` inside the end-to-end message; the receiver fetches the file and
opens it with both. See docs/protocol.md, "Media", for the format and its sources.

For large files use ``media_encryptor`` / ``media_decryptor`` (media_stream.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .media_errors import BadMediaHash, BadMediaLength, BadMediaMac, BadMediaPadding, MediaError
from .media_keys import MEDIA_KEY_INFO, MEDIA_KEY_LEN, MediaKeys, media_key_info, new_media_key
from .media_stream import MAC_LEN, MediaDecryptor, MediaDigest, MediaEncryptor, encrypted_length

__all__ = [
    "MAC_LEN",
    "MEDIA_KEY_INFO",
    "MEDIA_KEY_LEN",
    "BadMediaHash",
    "BadMediaLength",
    "BadMediaMac",
    "BadMediaPadding",
    "EncryptedMedia",
    "MediaDecryptor",
    "MediaDigest",
    "MediaEncryptor",
    "MediaError",
    "MediaKeys",
    "decrypt_media",
    "encrypt_media",
    "encrypted_length",
    "media_decryptor",
    "media_encryptor",
    "media_key_info",
    "new_media_key",
]


@dataclass(frozen=True, repr=False)
class EncryptedMedia:
    media_key: bytes
    data: bytes
    """The encrypted file: ciphertext || 10-byte MAC."""
    digest: MediaDigest

    def __repr__(self) -> str:
        return f"EncryptedMedia(<{len(self.data)} bytes>)"


def media_encryptor(kind: str, media_key: bytes) -> MediaEncryptor:
    return MediaEncryptor(MediaKeys.derive(media_key, kind))


def media_decryptor(kind: str, media_key: bytes, expected: MediaDigest) -> MediaDecryptor:
    return MediaDecryptor(MediaKeys.derive(media_key, kind), expected)


def encrypt_media(plaintext: bytes, kind: str, media_key: bytes | None = None) -> EncryptedMedia:
    """Encrypts a whole file; a fresh media key unless one is given (tests, re-sends)."""
    key = new_media_key() if media_key is None else media_key
    encryptor = media_encryptor(kind, key)
    head = encryptor.update(plaintext)
    tail, digest = encryptor.finalize()
    return EncryptedMedia(media_key=key, data=head + tail, digest=digest)


def decrypt_media(data: bytes, kind: str, media_key: bytes, expected: MediaDigest) -> bytes:
    """The plaintext of a whole encrypted file, or a ``MediaError``; nothing partial."""
    decryptor = media_decryptor(kind, media_key, expected)
    head = decryptor.update(data)
    return head + decryptor.finalize()
