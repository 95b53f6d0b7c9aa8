"""The ``db`` fixture (tests/conftest.py, tests/common/databases.py): indexed once per
run, emptied between tests, and what a test added to it taken back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.clock import utcnow
from services.migrations.indexes import ensure_all


def _all_indexes(database) -> dict[str, dict]:
    return {name: database[name].index_information()
            for name in database.list_collection_names() if not name.startswith("system.")}


@pytest.fixture
def fresh(indexed_database):
    """The indexes a database built from nothing gets, to compare a reset one with."""
    database = indexed_database.database.client[indexed_database.database.name + "_fresh"]
    database.client.drop_database(database.name)
    ensure_all(database)
    yield database
    database.client.drop_database(database.name)


def test_a_reset_database_has_every_index_of_a_fresh_one_ttl_included(db, fresh):
    assert _all_indexes(db) == _all_indexes(fresh)
    ttl = {(name, index["key"][0][0]) for name, indexes in _all_indexes(db).items()
           for index in indexes.values() if "expireAfterSeconds" in index}
    assert ("tokens", "expires_at") in ttl and ("idempotency_keys", "created_at") in ttl


def test_a_reset_empties_and_takes_back_what_a_test_added(indexed_database, fresh):
    db = indexed_database.reset()
    db.tokens.insert_one({"_id": "t", "username": "admin", "expires_at": utcnow() + timedelta(days=1)})
    db.own_collection.insert_one({"x": 1})
    db.messages.create_index("wa_id", unique=True)  # as tests/integration/gateway/test_outages.py does
    db.contact_checks.drop_indexes()
    db.drop_collection("idempotency_keys")

    db = indexed_database.reset()

    assert all(db[name].estimated_document_count() == 0 for name in db.list_collection_names())
    assert "own_collection" not in db.list_collection_names()
    assert _all_indexes(db) == _all_indexes(fresh)
    db.messages.insert_many([{"wa_id": "1"}, {"wa_id": "1"}])  # the test's unique index is gone

