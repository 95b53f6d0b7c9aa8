from services.messages.idempotency import record_id


def test_records_are_per_user():
    assert record_id("alice", "k1") != record_id("bob", "k1")
