from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.protocol import (
    IdentityKeyPair,
    OneTimePrekey,
    PrekeyBundle,
    Session,
    SignedPrekey,
)


@dataclass
class Party:
    identity: IdentityKeyPair
    signed_prekey: SignedPrekey
    one_time_prekeys: list[OneTimePrekey]

    @classmethod
    def create(cls, spk_id: int = 1, otpk_start: int = 100) -> Party:
        identity = IdentityKeyPair.generate()
        return cls(
            identity=identity,
            signed_prekey=SignedPrekey.generate(identity, spk_id),
            one_time_prekeys=OneTimePrekey.generate_batch(otpk_start, 3),
        )

    def bundle(self, with_one_time: bool = True) -> PrekeyBundle:
        otpk = self.one_time_prekeys[0] if with_one_time else None
        return PrekeyBundle.from_keys(self.identity.public, self.signed_prekey, otpk)

    def otpk_by_id(self, key_id: int | None) -> OneTimePrekey | None:
        if key_id is None:
            return None
        return next(k for k in self.one_time_prekeys if k.key_id == key_id)


@pytest.fixture
def alice() -> Party:
    return Party.create(spk_id=7, otpk_start=500)


@pytest.fixture
def bob() -> Party:
    return Party.create()


def establish(alice: Party, bob: Party, first: bytes = b"hello") -> tuple[Session, Session]:
    """Alice initiates, Bob accepts her first message; returns (alice, bob) sessions."""
    a = Session.initiate(alice.identity, bob.bundle())
    content = a.encrypt(first)
    b, plaintext = Session.accept(bob.identity, bob.signed_prekey, bob.one_time_prekeys[0], content)
    assert plaintext == first
    return a, b


@pytest.fixture
def sessions(alice: Party, bob: Party) -> tuple[Session, Session]:
    return establish(alice, bob)
