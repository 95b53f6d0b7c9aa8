"""Exceptions raised by the protocol package.

Everything the package raises on bad input is a ``ProtocolError`` so callers can treat
"this envelope or stored blob is unusable" with a single ``except``.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Malformed input, a state that cannot be used, or a failed check."""


class DecryptionError(ProtocolError):
    """A ciphertext did not authenticate: tampered, replayed, wrong key or wrong context."""


class InvalidSignature(ProtocolError):
    """A signature (the signed prekey's) did not verify."""
