from __future__ import annotations

import pytest

from services.users.throttle_rules import (
    LIMITS,
    PER_ACCOUNT,
    PER_ACCOUNT_ADDRESS,
    PER_ADDRESS,
    Limit,
    Standing,
    address_bucket,
    exceeded,
    keys_for,
    refusing_key,
    retry_after_seconds,
    user_changes_key,
    user_changes_limit,
)


def _standing(address=0, account_address=0, account=0, known=False) -> Standing:
    return Standing((address, account_address, account), known)


def test_below_every_limit_a_login_is_tried():
    assert exceeded(_standing(PER_ADDRESS.failures - 1, PER_ACCOUNT_ADDRESS.failures - 1,
                              PER_ACCOUNT.failures - 1)) is None


def test_each_limit_refuses_on_its_own():
    assert exceeded(_standing(address=PER_ADDRESS.failures)) is PER_ADDRESS
    assert exceeded(_standing(account_address=PER_ACCOUNT_ADDRESS.failures)) is PER_ACCOUNT_ADDRESS
    assert exceeded(_standing(account=PER_ACCOUNT.failures)) is PER_ACCOUNT


def test_an_address_the_account_logged_in_from_is_spared_the_account_ceiling_only():
    assert exceeded(_standing(account=PER_ACCOUNT.failures * 10, known=True)) is None
    assert exceeded(_standing(address=PER_ADDRESS.failures, known=True)) is PER_ADDRESS
    assert exceeded(_standing(account_address=PER_ACCOUNT_ADDRESS.failures, known=True)) is PER_ACCOUNT_ADDRESS


def test_the_account_ceiling_is_higher_and_shorter_than_a_lock_out_per_address():
    assert PER_ACCOUNT.failures > PER_ADDRESS.failures > PER_ACCOUNT_ADDRESS.failures
    assert PER_ACCOUNT.window_seconds <= PER_ACCOUNT_ADDRESS.window_seconds


def test_standing_from_redis_values():
    assert Standing.read([b"3", None, "7", None]) == _standing(3, 0, 7, known=False)
    assert Standing.read([None, None, None, b"1"]).known_address


def test_keys_separate_addresses_and_accounts_and_hold_no_raw_name():
    one, other_address, other_account = keys_for("admin", "1.2.3.4"), keys_for("admin", "5.6.7.8"), keys_for(
        "alice", "1.2.3.4")
    assert len(one.counts) == len(LIMITS)
    assert one.counts[0] == other_account.counts[0] != other_address.counts[0]  # per address
    assert len({one.counts[1], other_address.counts[1], other_account.counts[1]}) == 3  # per account+address
    assert one.counts[2] == other_address.counts[2] != other_account.counts[2]  # per account
    assert one.known_address != other_address.known_address
    weird = keys_for("admin\r\n:\udcff" + "x" * 5000, "1.2.3.4")
    for key in (*weird.counts, weird.known_address):
        assert len(key) < 120 and "\n" not in key and "admin" not in key


@pytest.mark.parametrize(("address", "bucket"), [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("unknown", "unknown"),
])
def test_addresses_are_counted_by_bucket(address, bucket):
    assert address_bucket(address) == bucket


def test_the_standing_before_a_reserved_attempt_excludes_it():
    assert Standing.before_reserved([1, 5, 50], None) == Standing((0, 4, 49), False)
    assert Standing.before_reserved([1, 1, 1], b"1").known_address


def test_the_refusing_key_is_the_count_of_the_refusing_limit():
    keys = keys_for("admin", "192.0.2.1")
    for limit, key in zip(LIMITS, keys.counts, strict=True):
        assert refusing_key(keys, limit) == key


def test_user_changes_are_counted_per_address_bucket_and_caller_for_an_hour():
    assert user_changes_limit(7) == Limit("user_changes", 7, 3600)
    assert user_changes_key("2001:db8::1", "admin") == user_changes_key("2001:db8::2", "admin")
    assert user_changes_key("192.0.2.1", "admin") != user_changes_key("192.0.2.2", "admin")
    assert user_changes_key("192.0.2.1", "admin") != user_changes_key("192.0.2.1", "alice")
    assert "alice" not in user_changes_key("192.0.2.1", "alice")  # names stay out of Redis keys
    assert user_changes_key("192.0.2.1", "x") not in keys_for("x", "192.0.2.1").counts


@pytest.mark.parametrize("ttl, expected", [(42, 42), (1, 1), (-2, 1), (-1, PER_ADDRESS.window_seconds)])
def test_retry_after_is_the_windows_time_left(ttl, expected):
    assert retry_after_seconds(ttl, PER_ADDRESS) == expected
