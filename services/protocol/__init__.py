"""End-to-end protocol: X3DH, the Double Ratchet, envelopes and at-rest sealing.

Pure: no network, files, environment or clocks; randomness comes from ``os.urandom``
through ``primitives``. See docs/protocol.md for the formats.
"""

from .at_rest import open_sealed, seal
from .content import Header
from .envelope import Envelope
from .errors import DecryptionError, InvalidSignature, ProtocolError
from .keys import IdentityKeyPair, IdentityPublic, OneTimePrekey, SignedPrekey
from .ratchet import RatchetState
from .session import Session, is_new_session, prekey_ids, sender_identity
from .x3dh import PrekeyBundle

__all__ = [
    "DecryptionError",
    "Envelope",
    "Header",
    "IdentityKeyPair",
    "IdentityPublic",
    "InvalidSignature",
    "OneTimePrekey",
    "PrekeyBundle",
    "ProtocolError",
    "RatchetState",
    "Session",
    "SignedPrekey",
    "is_new_session",
    "open_sealed",
    "prekey_ids",
    "seal",
    "sender_identity",
]
