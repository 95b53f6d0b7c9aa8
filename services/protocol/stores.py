"""What a protocol client needs to keep, as small store protocols (libsignal's storage
traits): its own identity, its signed and one-time prekeys, and a session per peer.

The core implements them on MongoDB (sealed at rest), the virtual phones and the tests
in memory (``memory_stores``). ``ProtocolClient`` is written against these alone, so
the recipe that uses them exists once.
"""

from __future__ import annotations

from typing import Protocol

from .keys import IdentityKeyPair, OneTimePrekey, SignedPrekey
from .session import Session


class IdentityKeyStore(Protocol):
    def own_identity(self) -> IdentityKeyPair:
        """This client's identity key pair (raises LookupError when it has none)."""
        ...


class SignedPrekeyStore(Protocol):
    def signed_prekey(self, key_id: int) -> SignedPrekey | None: ...


class OneTimePrekeyStore(Protocol):
    def one_time_prekey(self, key_id: int) -> OneTimePrekey | None: ...

    def remove_one_time_prekey(self, key_id: int) -> None:
        """Forget a one-time prekey for good: a session has used it."""
        ...


class KeyStore(IdentityKeyStore, SignedPrekeyStore, OneTimePrekeyStore, Protocol):
    """All of a client's own keys (one object usually holds them together)."""


class SessionStore(Protocol):
    def load_session(self, peer: str) -> Session | None: ...

    def store_session(self, peer: str, session: Session) -> None: ...

    def delete_session(self, peer: str) -> None: ...
