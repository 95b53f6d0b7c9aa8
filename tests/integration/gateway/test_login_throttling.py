"""Bad-login throttling and re-hashing at login, through the real gateway app against
the session's Redis and MongoDB (services/users/throttle_rules.py)."""

from __future__ import annotations

import dataclasses

import pytest

from services.users import throttle_rules
from tests.common.factories import insert_admin, scrypt_hash
from tests.integration.gateway.conftest import NEW_PASSWORD, assert_error, basic

PROXY = "10.0.0.1"


@pytest.fixture
def proxied_client(config, db, redis):
    """The gateway behind a reverse proxy at ``PROXY``, which it trusts."""
    from services.api_gateway.app import create_app

    gateway = dataclasses.replace(config.gateway, trusted_proxies=("10.0.0.0/8",))
    return create_app(dataclasses.replace(config, gateway=gateway)).test_client()


def _login(client, password, *, client_ip, username="admin", peer=PROXY):
    return client.post("/v1/users/login", headers={**basic(username, password), "X-Forwarded-For": client_ip},
                       environ_base={"REMOTE_ADDR": peer})


def test_behind_a_trusted_proxy_one_client_bad_logins_lock_out_only_that_client(proxied_client, db):
    insert_admin(db, NEW_PASSWORD)
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert_error(_login(proxied_client, "wrong", client_ip="198.51.100.1"), 401, 1005)
    refused = _login(proxied_client, NEW_PASSWORD, client_ip="198.51.100.1")
    assert_error(refused, 429, 1015, "Rate limiting exceeded on bad login attempts")
    assert _login(proxied_client, NEW_PASSWORD, client_ip="198.51.100.2").status_code == 200


def test_per_address_the_limit_spans_accounts(proxied_client, db):
    insert_admin(db, NEW_PASSWORD)
    for number in range(throttle_rules.PER_ADDRESS.failures):
        assert_error(_login(proxied_client, "wrong", client_ip="198.51.100.3", username=f"user{number}"), 401, 1005)
    assert_error(_login(proxied_client, NEW_PASSWORD, client_ip="198.51.100.3"), 429, 1015)


def test_per_account_and_address_the_client_may_still_try_other_accounts(proxied_client, db):
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        _login(proxied_client, "wrong", client_ip="198.51.100.4")
    assert_error(_login(proxied_client, "wrong", client_ip="198.51.100.4"), 429, 1015)
    assert_error(_login(proxied_client, "wrong", client_ip="198.51.100.4", username="alice"), 401, 1005)


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(client, db):
    insert_admin(db, NEW_PASSWORD)
    for number in range(throttle_rules.PER_ADDRESS.failures):
        _login(client, "wrong", client_ip=f"198.51.100.{number}", username=f"user{number}", peer="203.0.113.5")
    assert_error(_login(client, NEW_PASSWORD, client_ip="198.51.100.99", peer="203.0.113.5"), 429, 1015)
    assert _login(client, NEW_PASSWORD, client_ip="198.51.100.99", peer="203.0.113.6").status_code == 200


def test_a_spread_guess_at_one_account_spares_the_addresses_it_logs_in_from(proxied_client, db):
    insert_admin(db, NEW_PASSWORD)
    assert _login(proxied_client, NEW_PASSWORD, client_ip="192.0.2.10").status_code == 200  # the admin's desk
    per_address = throttle_rules.PER_ACCOUNT_ADDRESS.failures
    for attacker in range(throttle_rules.PER_ACCOUNT.failures // per_address):
        for _ in range(per_address):
            assert_error(_login(proxied_client, "wrong", client_ip=f"198.51.100.{attacker}"), 401, 1005)
    assert_error(_login(proxied_client, NEW_PASSWORD, client_ip="198.51.100.200"), 429, 1015)
    assert _login(proxied_client, NEW_PASSWORD, client_ip="192.0.2.10").status_code == 200


def test_a_scrypt_hash_is_rehashed_to_argon2id_at_the_next_successful_login(client, db):
    insert_admin(db, NEW_PASSWORD)
    old = scrypt_hash(NEW_PASSWORD)
    db.users.update_one({"_id": "admin"}, {"$set": {"password_hash": old}})
    assert_error(client.post("/v1/users/login", headers=basic("admin", "Wr0ng-Password")), 401, 1005)
    assert db.users.find_one({"_id": "admin"})["password_hash"] == old  # only a right password re-hashes
    assert client.post("/v1/users/login", headers=basic("admin", NEW_PASSWORD)).status_code == 200
    rehashed = db.users.find_one({"_id": "admin"})["password_hash"]
    assert rehashed.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    assert client.post("/v1/users/login", headers=basic("admin", NEW_PASSWORD)).status_code == 200
    assert db.users.find_one({"_id": "admin"})["password_hash"] == rehashed  # today's parameters: left alone


def test_an_ipv6_client_is_counted_by_its_64_whatever_address_it_takes_in_it(proxied_client, db):
    insert_admin(db, NEW_PASSWORD)
    for number in range(throttle_rules.PER_ADDRESS.failures):
        _login(proxied_client, "wrong", client_ip=f"2001:db8:1:2::{number + 1:x}", username=f"user{number}")
    assert_error(_login(proxied_client, NEW_PASSWORD, client_ip="2001:db8:1:2:ffff::9"), 429, 1015)
    assert _login(proxied_client, NEW_PASSWORD, client_ip="2001:db8:1:3::1").status_code == 200


def test_parallel_bad_logins_get_no_more_tries_than_the_limit(proxied_client, db):
    from concurrent.futures import ThreadPoolExecutor

    insert_admin(db, NEW_PASSWORD)
    attempts = 4 * throttle_rules.PER_ACCOUNT_ADDRESS.failures
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: _login(proxied_client, "wrong", client_ip="198.51.100.7").status_code,
                                 range(attempts)))
    # Each attempt is counted before its password is checked: no more than the limit
    # are ever checked, however they interleave.
    assert statuses.count(401) == throttle_rules.PER_ACCOUNT_ADDRESS.failures
    assert statuses.count(429) == attempts - throttle_rules.PER_ACCOUNT_ADDRESS.failures


def test_a_good_login_is_not_counted_as_a_bad_one(proxied_client, db):
    insert_admin(db, NEW_PASSWORD)
    for _ in range(3 * throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert _login(proxied_client, NEW_PASSWORD, client_ip="198.51.100.8").status_code == 200
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert_error(_login(proxied_client, "wrong", client_ip="198.51.100.8"), 401, 1005)
