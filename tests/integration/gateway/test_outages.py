"""The gateway while its MongoDB or Redis is down or not answering, and as it comes back.

The servers here are this module's own (started on free ports with infra's launchers),
never the run's shared ones: they are stopped, paused (SIGSTOP: up but silent, as a
hung VM or a network partition looks) and restarted. Every bound is measured:
503/1016 with ``Retry-After`` within 2 s while a server is away, success within 2 s
of it being back, and a stored send answered 201 even when its kick is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import redis as redis_lib

from services.common.mongo import get_db
from services.migrations.indexes import ensure_all
from tests.common.factories import logged_in_admin
from tests.common.private_servers import PrivateServers
from tests.common.waiting import wait_for
from tests.integration.gateway.conftest import (
    NEW_PASSWORD,
    assert_error,
    basic,
    bearer,
    insert_inbound_message,
    register,
)

pytestmark = pytest.mark.timeout(240)

BOUND = 2.0  # seconds: the promise (docs/design.md "Timeouts")
TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServers]:
    servers = PrivateServers(tmp_path_factory.mktemp("outages").resolve())
    try:
        servers.ensure_running()
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture
def own_config(config, own: PrivateServers):
    own.ensure_running()
    return replace(config, mongo_url=own.mongo.url(), redis_url=own.redis.url())


@pytest.fixture
def own_db(own_config):
    database = get_db(own_config)
    for name in database.list_collection_names():
        database.drop_collection(name)
    ensure_all(database)
    register(database)
    return database


@pytest.fixture
def own_client(own_config, own_db):
    from services.api_gateway.app import create_app

    application = create_app(own_config)
    application.config["WA_CONTROL_RPC_TIMEOUT"] = 1.0
    return application.test_client()


@pytest.fixture
def own_auth(own_client, own_db, own_config) -> dict[str, str]:
    # The state a first login leaves (tests/common/factories.py); the logins these tests
    # make during and after outages are real ones.
    return bearer(logged_in_admin(own_db, NEW_PASSWORD, own_config.token_ttl_seconds))


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def _assert_unavailable_fast(call: Callable[[], object]) -> float:
    response, elapsed = _timed(call)
    assert_error(response, 503, 1016)
    assert response.headers["Retry-After"] == "1"
    assert elapsed < BOUND, f"answered after {elapsed:.2f} s"
    return elapsed


def _recovery_time(call: Callable[[], object], ok: Callable[[object], bool], limit: float = 10.0) -> float:
    """Seconds until ``call`` answers ``ok`` (polled; each attempt is bounded itself)."""
    started = time.monotonic()
    wait_for(lambda: ok(call()), timeout=limit, message="never recovered")
    return time.monotonic() - started


def _requests(client, auth) -> dict[str, Callable[[], object]]:
    return {
        "send": lambda: client.post("/v1/messages", headers=auth, json=TEXT),
        "login": lambda: client.post("/v1/users/login", headers=basic("admin", NEW_PASSWORD)),
        "health": lambda: client.get("/v1/health", headers=auth),
    }


@pytest.mark.parametrize("fault", ["stopped", "paused"])
def test_while_mongodb_is_away_requests_answer_503_within_2_s_and_succeed_within_2_s_of_its_return(
        own, own_client, own_auth, own_db, fault):
    requests = _requests(own_client, own_auth)
    assert requests["send"]().status_code == 201  # pooled connections exist: the worst case
    if fault == "stopped":
        own.stop(own.mongo)
    else:
        own.pause(own.mongo)
    try:
        # Each request twice: the first meets the pooled connections, the second a
        # server pymongo already knows is gone.
        times = {name: [_assert_unavailable_fast(call) for _ in range(2)] for name, call in requests.items()}
        print(f"MongoDB {fault}: 503 after {times}")  # noqa: T201 - the measurement is the point
    finally:
        if fault == "stopped":
            own.start(own.mongo)
        else:
            own.resume_all()

    back = _recovery_time(requests["send"], lambda response: response.status_code == 201)
    print(f"MongoDB back ({fault}): first 201 after {back:.2f} s")  # noqa: T201
    assert back < BOUND
    assert requests["login"]().status_code == 200
    assert requests["health"]().status_code == 200
    # The sends before and after the outage are stored; none of those answered 503 is.
    assert own_db.messages.count_documents({}) == 2


def test_a_database_error_that_is_not_an_outage_stays_a_500(own_client, own_auth, own_db):
    # A write refused for good (here a unique index of the operator's) is no outage:
    # retrying would not help, so no 503 and no Retry-After.
    own_db.messages.create_index("wa_id", unique=True)
    assert own_client.post("/v1/messages", headers=own_auth, json=TEXT).status_code == 201
    response = own_client.post("/v1/messages", headers=own_auth, json=TEXT)
    assert_error(response, 500, 1023)
    assert "Retry-After" not in response.headers
    assert own_db.messages.count_documents({}) == 1


@pytest.mark.parametrize("fault", ["stopped", "paused"])
def test_while_redis_is_away_a_send_is_201_and_stored_without_a_kick(own, own_client, own_auth, own_db, fault):
    flags = redis_lib.Redis.from_url(own.redis.url(), socket_timeout=5)
    assert own_client.post("/v1/messages", headers=own_auth, json=TEXT).status_code == 201
    if fault == "stopped":
        own.stop(own.redis)
    else:
        own.pause(own.redis)
    try:
        response, elapsed = _timed(lambda: own_client.post("/v1/messages", headers=own_auth, json=TEXT))
        assert response.status_code == 201, response.get_json()
        assert elapsed < BOUND, f"answered after {elapsed:.2f} s"
        during = response.get_json()["messages"][0]["id"]
        assert own_db.messages.find_one({"_id": during})["status"] == "accepted"
        # Redis is needed by the bad-login limit and by the core RPCs: those answer 503.
        login = _assert_unavailable_fast(
            lambda: own_client.post("/v1/users/login", headers=basic("admin", NEW_PASSWORD)))
        rpc = _assert_unavailable_fast(lambda: own_client.post(
            "/v1/contacts", headers=own_auth, json={"contacts": ["16315550001"], "blocking": "wait"}))
        print(f"Redis {fault}: send 201 after {elapsed:.2f} s, login 503 after {login:.2f} s, "  # noqa: T201
              f"RPC 503 after {rpc:.2f} s")
    finally:
        if fault == "stopped":
            own.start(own.redis)
        else:
            own.resume_all()

    if fault == "stopped":
        # A restarted Redis is empty: the message accepted meanwhile waits in MongoDB
        # for the core's recovery sweep, which finds accepted work older than 10 s.
        assert flags.llen("core.shard.0") == 0
    back = _recovery_time(lambda: own_client.post("/v1/users/login", headers=basic("admin", NEW_PASSWORD)),
                          lambda response: response.status_code == 200)
    print(f"Redis back ({fault}): first login after {back:.2f} s")  # noqa: T201
    assert back < BOUND
    after = own_client.post("/v1/messages", headers=own_auth, json=TEXT)
    assert after.status_code == 201
    assert flags.llen("core.shard.0") >= 1  # the kick of the next send is queued again
    assert own_db.messages.count_documents({"status": "accepted"}) == 3


def test_while_redis_is_down_mark_read_and_a_no_wait_check_are_stored_and_answered(own, own_client, own_auth, own_db):
    message_id = insert_inbound_message(own_db)
    own.stop(own.redis)
    try:
        response, elapsed = _timed(lambda: own_client.put(f"/v1/messages/{message_id}", headers=own_auth,
                                                          json={"status": "read"}))
        assert response.status_code == 200, response.get_json()
        assert elapsed < BOUND
        assert own_db.outbound_receipts.find_one({"message_id": message_id, "status": "read"}) is not None

        response, elapsed = _timed(lambda: own_client.post(
            "/v1/contacts", headers=own_auth, json={"contacts": ["16315550002"], "blocking": "no_wait"}))
        assert response.status_code == 200, response.get_json()
        assert elapsed < BOUND
        assert response.get_json()["contacts"] == [{"input": "16315550002", "status": "processing"}]
        assert own_db.contact_check_requests.count_documents({}) == 1
    finally:
        own.start(own.redis)


def test_a_worker_started_while_mongodb_is_down_serves_once_it_is_back(own, own_config, own_db, monkeypatch):
    from services.api_gateway.app import create_app
    from services.migrations import runner

    monkeypatch.setattr(runner, "_prepared", set())  # a new worker process has prepared nothing yet
    own_db.drop_collection("idempotency_keys")  # its TTL index must come from the new worker
    own.stop(own.mongo)
    try:
        client, elapsed = _timed(lambda: create_app(own_config).test_client())
        assert elapsed < BOUND  # gunicorn would stop the whole gateway if a worker failed to boot
        _assert_unavailable_fast(lambda: client.post("/v1/users/login", headers=basic("admin", "secret")))
    finally:
        own.start(own.mongo)
    back = _recovery_time(lambda: client.post("/v1/users/login", headers=basic("admin", "secret"),
                                              json={"new_password": NEW_PASSWORD}),
                          lambda response: response.status_code == 200)
    assert back < BOUND
    assert any(index["key"] == {"created_at": 1} for index in own_db.idempotency_keys.list_indexes())
