"""Queued receipts go out one call per contact and status, a read never before its delivered."""

from __future__ import annotations

from services.core_worker.receipt_batches import group


def _row(message_id: str, wa_id: str, status: str) -> dict:
    return {"_id": f"{message_id}:{status}", "message_id": message_id, "wa_id": wa_id, "status": status}


def test_one_call_per_contact_and_status_in_seq_order():
    pending = [_row("a1", "1555A", "delivered"), _row("b1", "1555B", "delivered"), _row("a2", "1555A", "delivered")]
    assert [(b.wa_id, b.status, b.message_ids, b.row_ids) for b in group(pending)] == [
        ("1555A", "delivered", ["a1", "a2"], ["a1:delivered", "a2:delivered"]),
        ("1555B", "delivered", ["b1"], ["b1:delivered"]),
    ]


def test_a_read_group_seen_first_still_goes_after_the_delivered_group():
    # read(m0) is the oldest row, but read(m1) in the same group must not overtake delivered(m1).
    pending = [_row("m0", "1555A", "read"), _row("m1", "1555A", "delivered"), _row("m1", "1555A", "read")]
    assert [(b.status, b.message_ids) for b in group(pending)] == [("delivered", ["m1"]), ("read", ["m0", "m1"])]


def test_rows_queued_before_receipt_ids_named_their_status():
    legacy = {"_id": "m9", "wa_id": "1555A", "status": "read"}
    assert [(b.message_ids, b.row_ids) for b in group([legacy])] == [(["m9"], ["m9"])]


def test_nothing_pending_means_no_call():
    assert group([]) == []
