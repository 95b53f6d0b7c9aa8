"""In-memory stores for ``ProtocolClient`` (the virtual phones, the tests).

They wrap the caller's own dicts rather than copying them: what the client stores or
removes is what the caller sees (and persists) in those dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .keys import IdentityKeyPair, OneTimePrekey, SignedPrekey
from .session import Session


@dataclass(repr=False)
class MemoryKeyStore:
    identity: IdentityKeyPair
    signed_prekeys: dict[int, SignedPrekey] = field(default_factory=dict)
    one_time_prekeys: dict[int, OneTimePrekey] = field(default_factory=dict)

    def own_identity(self) -> IdentityKeyPair:
        return self.identity

    def signed_prekey(self, key_id: int) -> SignedPrekey | None:
        return self.signed_prekeys.get(key_id)

    def one_time_prekey(self, key_id: int) -> OneTimePrekey | None:
        return self.one_time_prekeys.get(key_id)

    def remove_one_time_prekey(self, key_id: int) -> None:
        self.one_time_prekeys.pop(key_id, None)


@dataclass(repr=False)
class MemorySessionStore:
    sessions: dict[str, Session] = field(default_factory=dict)

    def load_session(self, peer: str) -> Session | None:
        return self.sessions.get(peer)

    def store_session(self, peer: str, session: Session) -> None:
        self.sessions[peer] = session

    def delete_session(self, peer: str) -> None:
        self.sessions.pop(peer, None)
