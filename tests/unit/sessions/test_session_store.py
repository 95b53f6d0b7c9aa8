from __future__ import annotations

import base64

from services.protocol import IdentityKeyPair
from services.sessions.session_store import identity_hash


def test_the_identity_hash_is_base64_of_eight_bytes_and_stable():
    identity = IdentityKeyPair.generate().public
    value = identity_hash(identity)
    assert len(base64.b64decode(value, validate=True)) == 8 and len(value) == 12
    assert identity_hash(identity) == value
    assert identity_hash(IdentityKeyPair.generate().public) != value
