"""Exceptions of media encryption (``media*.py``).

All are ``MediaError``s, hence ``ProtocolError``s: a caller that only needs "this blob
is unusable" catches one class; one that must tell the cases apart (a bad MAC is a
tampered or wrongly keyed blob, a bad length a truncated download) catches the leaf.
"""

from __future__ import annotations

from .errors import DecryptionError, ProtocolError


class MediaError(ProtocolError):
    """An encrypted media file (or its description) that cannot be used."""


class BadMediaMac(MediaError, DecryptionError):
    """The 10-byte HMAC does not authenticate IV + ciphertext: tampered, truncated at a
    block boundary, or opened with the wrong media key or the wrong kind's keys."""


class BadMediaHash(MediaError):
    """A SHA-256 differs from the one the message announced (``file_enc_sha256`` of the
    encrypted file, or ``file_sha256`` of the decrypted plaintext)."""


class BadMediaPadding(MediaError):
    """The authenticated plaintext does not end in valid PKCS#7 padding (a sender bug:
    only checked after the MAC verified, so it is no padding oracle)."""


class BadMediaLength(MediaError):
    """The encrypted file is not as long as the announced plaintext length implies
    (truncated, extended, or not a whole number of AES blocks plus the MAC)."""
