from __future__ import annotations

from services.messages import message_store


def test_is_stored_confirms_a_stored_message_without_changing_it(db):
    doc = message_store.new_outbound(db, message_id="gBEGstored", wa_id="15550001", message_type="text",
                                     content={"text": {"body": "hi"}})
    message_store.store_outbound(db, doc)
    before = db.messages.find_one({"_id": "gBEGstored"})

    assert message_store.is_stored(db, "gBEGstored")
    assert db.messages.find_one({"_id": "gBEGstored"}) == before


def test_is_stored_creates_nothing_for_an_unknown_id(db):
    assert not message_store.is_stored(db, "gBEGmissing")
    assert db.messages.count_documents({"_id": "gBEGmissing"}) == 0
