from datetime import UTC, datetime, timedelta

from services.users import token_rules


def test_token_hash_is_sha256_hex():
    digest = token_rules.token_hash("abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_new_tokens_are_long_random_and_url_safe():
    first, second = token_rules.new_token(), token_rules.new_token()
    assert first != second
    assert len(first) >= 43
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_expiry_is_in_whole_seconds_after_the_issue():
    issued = datetime(2018, 3, 1, 15, 29, 26, 987654, tzinfo=UTC)
    assert token_rules.expiry(issued, 604800) == datetime(2018, 3, 8, 15, 29, 26, tzinfo=UTC)


def test_a_token_expires_at_its_expiry_not_before():
    expires_at = datetime(2018, 3, 8, 15, 29, 26, tzinfo=UTC)
    assert not token_rules.is_expired(expires_at, expires_at - timedelta(microseconds=1))
    assert token_rules.is_expired(expires_at, expires_at)
    assert token_rules.is_expired(expires_at, expires_at + timedelta(days=1))
