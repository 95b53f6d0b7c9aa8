"""End-to-end protocol: X3DH, the Double Ratchet, envelopes and at-rest sealing.

Pure: no network, files, environment or clocks; randomness comes from ``os.urandom``
through ``primitives``. See docs/protocol.md for the formats.
"""

from .at_rest import open_sealed, seal
from .client import FetchBundle, Opened, Outgoing, ProtocolClient
from .content import Header
from .envelope import Envelope
from .errors import DecryptionError, InvalidSignature, ProtocolError
from .keys import IdentityKeyPair, IdentityPublic, OneTimePrekey, SignedPrekey
from .memory_stores import MemoryKeyStore, MemorySessionStore
from .ratchet import RatchetState
from .session import Session, is_new_session, prekey_ids, sender_identity
from .stores import IdentityKeyStore, KeyStore, OneTimePrekeyStore, SessionStore, SignedPrekeyStore
from .x3dh import PrekeyBundle

__all__ = [
    "DecryptionError",
    "Envelope",
    "FetchBundle",
    "Header",
    "IdentityKeyPair",
    "IdentityKeyStore",
    "IdentityPublic",
    "InvalidSignature",
    "KeyStore",
    "MemoryKeyStore",
    "MemorySessionStore",
    "OneTimePrekey",
    "OneTimePrekeyStore",
    "Opened",
    "Outgoing",
    "PrekeyBundle",
    "ProtocolClient",
    "ProtocolError",
    "RatchetState",
    "Session",
    "SessionStore",
    "SignedPrekey",
    "SignedPrekeyStore",
    "is_new_session",
    "open_sealed",
    "prekey_ids",
    "seal",
    "sender_identity",
]
