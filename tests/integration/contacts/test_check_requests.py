"""Stored non-blocking contact checks (``contact_check_requests``) against real MongoDB."""

from __future__ import annotations

from datetime import timedelta

from services.common.clock import utcnow
from services.contacts import checks

ITEMS = [("+1 555 0190", "15550190")]


def test_a_request_counts_its_attempts_until_it_is_deleted(db):
    checks.save_request(db, "r1", ITEMS)
    assert checks.load_request(db, "r1") == ITEMS
    assert checks.count_attempt(db, "r1") == 1
    assert checks.count_attempt(db, "r1") == 2
    later = utcnow() + timedelta(seconds=8)
    checks.postpone_request(db, "r1", later)
    assert abs(db.contact_check_requests.find_one({"_id": "r1"})["next_attempt_at"] - later) < timedelta(seconds=1)
    checks.delete_request(db, "r1")
    assert checks.load_request(db, "r1") is None
    assert checks.count_attempt(db, "r1") is None  # done meanwhile


def test_overdue_requests_are_claimed_once(db):
    now = utcnow()
    for check_id in ("due", "fresh"):
        checks.save_request(db, check_id, ITEMS)
    checks.postpone_request(db, "due", now - timedelta(minutes=5))
    checks.postpone_request(db, "fresh", now + timedelta(minutes=5))
    assert list(checks.claim_overdue_requests(db, now - timedelta(seconds=30), now)) == ["due"]
    assert list(checks.claim_overdue_requests(db, now - timedelta(seconds=30), now)) == []
    # Claimed: due again now, so a later sweep finds it once it is overdue again.
    assert list(checks.claim_overdue_requests(db, now + timedelta(seconds=1), now + timedelta(seconds=1))) == ["due"]
