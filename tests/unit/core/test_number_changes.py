"""The user_changed_number notification: what is accepted and the §15.2 callback it makes."""

from __future__ import annotations

import pytest

from services.core_worker.number_changes import NumberChange, parse, system_callback

GOOD = {"kind": "user_changed_number", "from": "15550001111", "old_wa_id": "15550001111",
        "new_wa_id": "15550002222", "timestamp": 1700000000}


def test_a_well_formed_notification():
    assert parse(GOOD) == NumberChange("15550001111", "15550002222", 1700000000)


@pytest.mark.parametrize("change", [
    {"new_wa_id": None}, {"new_wa_id": "12"}, {"new_wa_id": "1555000222x"}, {"old_wa_id": 15550001111},
    {"new_wa_id": "15550001111"},  # no change at all
    {"from": "15550003333"},  # journaled on another contact's shard
    {"timestamp": "1700000000"}, {"timestamp": True}, {"timestamp": -1},
])
def test_malformed_notifications_are_refused(change):
    assert parse({**GOOD, **change}) is None


def test_the_customer_changed_number_callback():
    change = parse(GOOD)
    assert system_callback(change, "Alice") == {
        "contacts": [{"wa_id": "15550002222", "profile": {"name": "Alice"}}],
        "messages": [{"from": "15550001111", "id": change.message_id, "timestamp": "1700000000", "type": "system",
                      "system": {"body": "User Alice changed from 15550001111 to 15550002222",
                                 "new_wa_id": "15550002222", "type": "customer_changed_number"}}],
    }
    nameless = system_callback(change, None)
    assert nameless["contacts"] == [{"wa_id": "15550002222"}]
    assert nameless["messages"][0]["system"]["body"] == "User 15550001111 changed from 15550001111 to 15550002222"


def test_the_message_id_is_the_same_for_a_replay_and_new_for_another_change():
    change = parse(GOOD)
    assert change.message_id == parse(dict(GOOD)).message_id
    assert change.message_id.startswith("SYS") and change.message_id.isalnum()
    assert change.message_id != parse({**GOOD, "timestamp": 1700000001}).message_id
