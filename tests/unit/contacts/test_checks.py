from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.contacts.checks import CACHE_TTL, answer_items, callback_payload, is_fresh
from services.contacts.identity import ContactIdentity

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_result_is_cached_for_seven_days():
    assert CACHE_TTL == timedelta(days=7)
    assert is_fresh(NOW, NOW)
    assert is_fresh(NOW - timedelta(days=7) + timedelta(seconds=1), NOW)
    assert not is_fresh(NOW - timedelta(days=7), NOW)
    assert not is_fresh(NOW - timedelta(days=30), NOW)
    assert not is_fresh(None, NOW)
    # a check "from the future" (the clock went back) does not count
    assert not is_fresh(NOW + timedelta(minutes=1), NOW)


def test_answer_items_keep_the_request_order_and_inputs():
    pairs = [("+1 631 555 1000", "16315551000"), ("garbage", None), ("6315551002", "6315551002"),
             ("(631) 555-1003", "16315551003"), ("1-631-555-1004", "16315551004"), ("16315551000", "16315551000")]
    results = {"16315551000": "16315551000", "6315551002": None}
    items = answer_items(pairs, results, processing={"16315551003"}, failed={"16315551004"})
    assert items == [
        {"input": "+1 631 555 1000", "status": "valid", "wa_id": "16315551000"},
        {"input": "garbage", "status": "invalid"},
        {"input": "6315551002", "status": "invalid"},
        {"input": "(631) 555-1003", "status": "processing"},
        {"input": "1-631-555-1004", "status": "failed"},
        {"input": "16315551000", "status": "valid", "wa_id": "16315551000"},
    ]


def test_a_number_the_core_did_not_answer_about_is_failed():
    assert answer_items([("16315551000", "16315551000")], {}) == [{"input": "16315551000", "status": "failed"}]


def test_the_callback_of_a_non_blocking_check():
    items = [("+1 555 000 1111", "15550001111"), ("15550002222", "15550002222")]
    assert callback_payload(items, {"15550001111": "15550001111", "15550002222": None}) == {"contacts": [
        {"input": "+1 555 000 1111", "status": "valid", "wa_id": "15550001111"},
        {"input": "15550002222", "status": "invalid"},
    ]}
    assert callback_payload(items, None) == {"contacts": [
        {"input": "+1 555 000 1111", "status": "failed"}, {"input": "15550002222", "status": "failed"},
    ]}


def test_identity_on_the_wire():
    identity = ContactIdentity(hash="UKD6Y/5SqDU=", created_at=datetime.fromtimestamp(1600132094, UTC),
                               acknowledged=False)
    assert identity.to_wire() == {"hash": "UKD6Y/5SqDU=", "created_timestamp": 1600132094000, "acknowledged": False}
