from __future__ import annotations

from services.core_worker.contact_checker import MAX_ATTEMPTS, MAX_RETRY_SECONDS, callback_id, retry_delay


def test_backoff_doubles_then_caps():
    assert [retry_delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(0) == 2 and max(retry_delay(n) for n in range(100)) == MAX_RETRY_SECONDS
    # a check is given up after a few minutes of outage, not hours
    assert 60 < sum(retry_delay(n) for n in range(1, MAX_ATTEMPTS)) < 600


def test_the_callback_id_is_the_checks():
    assert callback_id("abc") == callback_id("abc") == "contacts:abc"

