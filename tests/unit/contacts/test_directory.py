from __future__ import annotations

from services.contacts.directory import carried


def test_a_new_number_inherits_the_name_and_identity_state_only():
    old = {"_id": "1555", "profile_name": "Alice", "identity_hash": "abc", "identity_acknowledged": False,
           "last_inbound_at": 1, "conversation": {"id": "c"}, "changed_to": "1666"}
    assert carried(old) == {"profile_name": "Alice", "identity_hash": "abc", "identity_acknowledged": False}
    assert carried({}) == {}
