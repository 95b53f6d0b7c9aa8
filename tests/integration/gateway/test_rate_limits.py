"""Request-rate limits through the real app, its Redis and MongoDB (rate_limits.py)."""

from __future__ import annotations

import random

import redis as redis_lib

from services.api_gateway.app import create_app
from services.api_gateway.rate_limit_rules import MICROS, Bucket, admit
from services.api_gateway.rate_limits import RateLimiter
from services.api_gateway.state import connect_redis
from tests.common.waiting import wait_for
from tests.integration.gateway.conftest import assert_error, register

TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}
SETTINGS = "/v1/settings/application"


def patch(client, auth, body) -> None:
    response = client.patch(SETTINGS, headers=auth, json=body)
    assert response.status_code == 200, response.get_json()


def refused(response) -> bool:
    return response.status_code == 429


def send_until_refused(client, auth, tries: int = 50) -> tuple[list[str], str, object]:
    """Sends, each with its own Idempotency-Key, until one is refused: the ids accepted,
    the refused one's key and its answer."""
    accepted = []
    for attempt in range(tries):
        key = f"key-{attempt}"
        response = client.post("/v1/messages", headers={**auth, "Idempotency-Key": key}, json=TEXT)
        if refused(response):
            return accepted, key, response
        assert response.status_code == 201, response.get_json()
        accepted.append(response.get_json()["messages"][0]["id"])
    raise AssertionError(f"{tries} sends, none refused")


def test_a_send_limit_set_by_patch_is_enforced_within_two_seconds_and_a_refused_send_stores_nothing(
        client, auth, db):
    register(db)
    assert client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201  # off by default
    patch(client, auth, {"messaging_api_rate_limit": 1})

    # An invalid send is refused at 400 after the limit; at 429 once the limit is seen.
    wait_for(lambda: refused(client.post("/v1/messages", headers=auth, json={})), timeout=2.5,
             message="the new limit was not enforced")
    accepted, key, response = send_until_refused(client, auth)

    assert_error(response, 429, 1015)
    assert response.headers["Retry-After"] == "1"
    assert "1 requests/s to the messaging API" in response.get_json()["errors"][0]["details"]
    assert db.messages.count_documents({"direction": "outbound"}) == 1 + len(accepted)
    assert db.idempotency_keys.count_documents({"_id": {"$regex": f":{key}$"}}) == 0


def test_a_limit_is_echoed_by_get_and_lifted_by_delete(client, auth, db):
    register(db)
    patch(client, auth, {"messaging_api_rate_limit": "1"})
    assert client.get(SETTINGS, headers=auth).get_json()["settings"]["application"]["messaging_api_rate_limit"] == 1
    wait_for(lambda: refused(client.post("/v1/messages", headers=auth, json={})), timeout=2.5)

    assert client.delete(SETTINGS, headers=auth).status_code == 200
    wait_for(lambda: client.post("/v1/messages", headers=auth, json={}).status_code == 400, timeout=2.5,
             message="the limit stayed after DELETE")
    assert all(client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201 for _ in range(10))


def test_a_bad_limit_is_refused_and_changes_nothing(client, auth):
    response = client.patch(SETTINGS, headers=auth, json={"healthcheck_api_rate_limit": -1})
    assert_error(response, 400, 1009)
    assert client.get(SETTINGS, headers=auth).get_json()["settings"]["application"]["healthcheck_api_rate_limit"] == 20


def test_the_bucket_is_shared_by_every_worker_of_the_cluster(config, db, redis, auth, client):
    patch(client, auth, {"healthcheck_api_rate_limit": 1})  # 1/s, bursts to 3
    other = create_app(config).test_client()  # another gunicorn worker, or another host
    workers = [client, other]
    wait_for(lambda: all(refused(worker.get("/v1/health", headers=auth)) for worker in workers), timeout=2.5,
             message="a worker did not enforce the limit")
    # Both empty now: whichever a request reaches, the same bucket answers.
    response = other.get("/metrics", headers=auth)
    assert_error(response, 429, 1015)
    assert response.headers["Retry-After"] == "1"
    assert redis.exists("gateway:rate_limit:healthcheck")


def test_classes_have_buckets_of_their_own(client, auth, db):
    patch(client, auth, {"healthcheck_api_rate_limit": 1})
    wait_for(lambda: refused(client.get("/v1/health", headers=auth)), timeout=2.5)
    assert client.get(SETTINGS, headers=auth).status_code == 200  # control: 20/s, untouched


def test_an_unknown_path_counts_against_no_limit(client, auth):
    patch(client, auth, {"control_api_rate_limit": 1})
    assert all(client.get("/v1/nothing-here", headers=auth).status_code == 404 for _ in range(10))


def test_the_redis_script_computes_what_the_pure_rule_does(redis, config):
    limiter = RateLimiter(connect_redis(config.redis_url))
    bucket = Bucket(rate=7, burst=21)
    rng = random.Random(7)
    now, tat = 1_765_000_000 * MICROS, None
    for _ in range(400):
        now += rng.choice([0, 0, 1, 1_000, 90_000, 142_857, 2 * MICROS])
        expected = admit(bucket, tat, now)
        assert limiter.retry_after_us("agreement", bucket, now_us=now) == expected.retry_after_us
        tat = expected.tat_us
    stored = int(redis.get("gateway:rate_limit:agreement"))
    assert stored == tat  # microseconds since 1970 survive Lua's numbers exactly


def test_a_key_expires_once_its_bucket_is_full_again(redis, config):
    limiter = RateLimiter(connect_redis(config.redis_url))
    limiter.retry_after_us("expiry", Bucket(rate=1, burst=3))
    assert 0 < redis.pttl("gateway:rate_limit:expiry") <= 1001


class CountingRedis(redis_lib.Redis):
    calls = 0

    def execute_command(self, *args, **options):
        self.calls += 1
        return super().execute_command(*args, **options)


def test_without_redis_the_limit_fails_open_and_is_skipped_for_a_second():
    unreachable = CountingRedis(port=9, socket_connect_timeout=0.5)  # the discard port: refused at once
    now = [0.0]
    limiter = RateLimiter(unreachable, clock=lambda: now[0])
    bucket = Bucket(rate=1, burst=1)
    assert limiter.retry_after_us("down", bucket) == 0
    tried = unreachable.calls
    assert tried > 0
    assert limiter.retry_after_us("down", bucket) == 0 and unreachable.calls == tried  # not asked again
    now[0] = 1.0
    assert limiter.retry_after_us("down", bucket) == 0 and unreachable.calls > tried


def test_a_class_without_a_limit_costs_no_redis_call(app, client, auth, db):
    register(db)

    def never(*args, **kwargs):
        raise AssertionError("the limiter was asked")

    app.extensions["wa_rate_limits"].retry_after_us = never
    assert client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201  # messaging: off by default


def anonymous_until_refused(client, headers, address: str) -> None:
    wait_for(lambda: refused(client.get(SETTINGS, headers=headers, environ_base={"REMOTE_ADDR": address})),
             timeout=2.5, message="anonymous requests were never limited")


def test_anonymous_requests_do_not_spend_the_authenticated_clients_budget(client, auth):
    patch(client, auth, {"control_api_rate_limit": 1})  # 1/s, bursts to 3
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        anonymous_until_refused(client, headers, "198.51.100.7")
        response = client.get(SETTINGS, headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert_error(response, 429, 1015)
        assert "from this address without a valid token" in response.get_json()["errors"][0]["details"]
    # The address's own bucket is empty; the authenticated clients', from the same address, is not.
    assert client.get(SETTINGS, headers=auth, environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    # Nor is another address's.
    assert_error(client.get(SETTINGS, environ_base={"REMOTE_ADDR": "198.51.100.8"}), 401, 1005)


def test_a_login_draws_from_its_address_bucket(client, auth):
    patch(client, auth, {"control_api_rate_limit": 1})
    wait_for(lambda: refused(client.post("/v1/users/login", environ_base={"REMOTE_ADDR": "198.51.100.9"})),
             timeout=2.5, message="logins were never limited")
    assert client.get(SETTINGS, headers=auth).status_code == 200


def test_an_authenticated_request_looks_its_token_up_once(client, auth, monkeypatch):
    from services.api_gateway import auth as gateway_auth

    patch(client, auth, {"control_api_rate_limit": 100})
    wait_for(lambda: client.get(SETTINGS, headers=auth).get_json()["settings"]["application"][
        "control_api_rate_limit"] == 100, timeout=2.5)
    lookups = []
    original = gateway_auth.user_store.token_holder

    def counted(db, token):
        lookups.append(token)
        return original(db, token)

    monkeypatch.setattr(gateway_auth.user_store, "token_holder", counted)
    assert client.get(SETTINGS, headers=auth).status_code == 200
    assert len(lookups) == 1
