"""The ``contacts`` documents the core keeps, against real MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.contacts import directory

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "15550180001", "15550180002"


def test_an_inbound_message_opens_the_window_and_keeps_the_last_profile_name(db):
    directory.record_inbound(db, OLD, NOW, "Alice")
    directory.record_inbound(db, OLD, NOW + timedelta(minutes=1), None)  # no name: the last one stays
    doc = db.contacts.find_one({"_id": OLD})
    assert (doc["profile_name"], doc["last_inbound_at"], doc["updated_at"]) == (
        "Alice", NOW + timedelta(minutes=1), NOW + timedelta(minutes=1))


def test_a_send_reads_what_its_rules_need_of_each_recipient(db):
    db.contacts.insert_one({"_id": OLD, "profile_name": "Alice", "last_inbound_at": NOW,
                            "identity_acknowledged": False, "conversation": {"id": "c1"}})
    found = directory.for_sending(db, {OLD, NEW})
    assert found == {OLD: {"_id": OLD, "last_inbound_at": NOW, "identity_acknowledged": False,
                           "conversation": {"id": "c1"}}}


def test_a_number_change_carries_the_contact_to_the_new_number_once(db):
    db.contacts.insert_one({"_id": OLD, "profile_name": "Alice", "identity_hash": "abc",
                            "identity_acknowledged": True, "last_inbound_at": NOW, "conversation": {"id": "c1"}})
    assert directory.move_number(db, OLD, NEW, NOW) == "Alice"
    new, old = db.contacts.find_one({"_id": NEW}), db.contacts.find_one({"_id": OLD})
    assert new == {"_id": NEW, "profile_name": "Alice", "identity_hash": "abc", "identity_acknowledged": True,
                   "changed_from": OLD, "updated_at": NOW}
    assert (old["changed_to"], old["updated_at"]) == (NEW, NOW)
    # Replayed: the new number's own document is kept as it is.
    db.contacts.update_one({"_id": NEW}, {"$set": {"profile_name": "Alice B"}})
    assert directory.move_number(db, OLD, NEW, NOW + timedelta(seconds=1)) == "Alice B"


def test_a_number_change_from_an_unknown_contact_records_both_ends(db):
    assert directory.move_number(db, OLD, NEW, NOW) is None
    assert db.contacts.find_one({"_id": NEW}) == {"_id": NEW, "changed_from": OLD, "updated_at": NOW}
    assert db.contacts.find_one({"_id": OLD}) == {"_id": OLD, "changed_to": NEW, "updated_at": NOW}
