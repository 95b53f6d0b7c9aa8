"""Two-step verification end to end (spec §9.3, §9.4): the core tells the sandbox
network, and the network refuses a re-registration of the number that does not carry
the PIN. Re-registering changes the registration, so the stack is this module's own
(its database and Redis database): the shared stack's ``registration`` is untouched.

A re-registration here is one with a new certificate (a new display name): the same
certificate on the registered number answers 201 with nothing to do.
"""

from __future__ import annotations

import itertools

import pytest
from pymongo import MongoClient

from services.account.two_step_rules import PIN_REQUIRED, WRONG_PIN
from tests.common.factories import issue_token
from tests.common.health import is_connected
from tests.common.waiting import wait_for
from tests.e2e.conftest import BUSINESS, api_client, own_cluster

PATH = "/v1/settings/account/two-step"
NUMBER = {"cc": BUSINESS["cc"], "phone_number": BUSINESS["phone_number"]}
DB_NAME = "whatsapp_two_step"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def cluster(servers_env, tmp_path_factory):
    with own_cluster(servers_env, tmp_path_factory, "two_step", redis_db=7, shards=1, cores=1) as running:
        yield running


@pytest.fixture
def api(cluster):
    return cluster["api"]


@pytest.fixture
def network(cluster):
    return cluster["network"]


@pytest.fixture(autouse=True)
def two_step_off_after(api):
    yield
    assert api("DELETE", PATH).status_code == 200


def new_certificate(network) -> tuple[str, str]:
    """A certificate for the business's number with a new display name: registering
    with it is a re-registration."""
    vname = f"Acme Renamed {next(_names)}"
    answer = network("POST", "/sandbox/v1/certificates", json={**NUMBER, "vname": vname})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["cert"], vname


def finish_registration(api, network) -> None:
    code = network("GET", f"/sandbox/v1/verification-codes/{NUMBER['cc']}{NUMBER['phone_number']}").json()["code"]
    verified = api("POST", "/v1/account/verify", json={"code": code})
    assert verified.status_code == 201, verified.text
    assert verified.json().keys() == {"meta"}
    wait_for(lambda: is_connected(api("GET", "/v1/health").json()["health"]), timeout=30, interval=0.2,
             message="the business connected again")


def register(api, network, **extra) -> None:
    cert, vname = new_certificate(network)
    requested = api("POST", "/v1/account", json={**NUMBER, "vname_cert": cert, **extra})
    assert requested.status_code == 202, requested.text
    assert requested.json()["account"] == [{"vname": vname}]
    finish_registration(api, network)


def assert_error(answer, status: int, code: int, details: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["errors"][0]
    assert error["code"] == code, answer.text
    if details is not None:
        assert error["details"] == details


def set_same_shards(api, **extra):
    # The count the cluster has: the PIN is checked, nothing moves.
    return api("POST", "/v1/account/shards", json={**NUMBER, "shards": 1, **extra})


def test_the_network_refuses_a_registration_without_the_pin(api, network):
    assert api("POST", PATH, json={"pin": "123456"}).status_code == 200
    cert, vname = new_certificate(network)
    body = {**NUMBER, "cert": cert}

    assert_error(api("POST", "/v1/account", json=body), 400, 1008, PIN_REQUIRED)
    assert_error(api("POST", "/v1/account", json={**body, "pin": "654321"}), 403, 1005, WRONG_PIN)
    assert_error(set_same_shards(api), 400, 1008, PIN_REQUIRED)
    assert_error(set_same_shards(api, pin="654321"), 403, 1005, WRONG_PIN)
    assert set_same_shards(api, pin="123456").status_code == 201

    requested = api("POST", "/v1/account", json={**body, "pin": "123456"})
    assert (requested.status_code, requested.json()["account"]) == (202, [{"vname": vname}])
    finish_registration(api, network)
    # Two-step stays on across the re-registration.
    assert_error(api("POST", "/v1/account", json={**NUMBER, "cert": new_certificate(network)[0]}), 400, 1008)


def test_disabled_two_step_needs_no_pin(api, network):
    assert api("POST", PATH, json={"pin": "123456"}).status_code == 200
    assert api("DELETE", PATH).status_code == 200
    register(api, network)
    assert set_same_shards(api).status_code == 201


def test_already_registered_answers_201(api, network):
    cert, _ = new_certificate(network)
    requested = api("POST", "/v1/account", json={**NUMBER, "cert": cert})
    assert requested.status_code == 202, requested.text
    finish_registration(api, network)
    again = api("POST", "/v1/account", json={**NUMBER, "vname_cert": cert})
    assert (again.status_code, again.json().keys()) == (201, {"meta"})


def test_reset_wipe_removes_two_step_once_verified(api, network):
    assert api("POST", PATH, json={"pin": "123456"}).status_code == 200
    cert, _ = new_certificate(network)
    wiping = api("POST", "/v1/account", json={**NUMBER, "cert": cert, "reset": "wipe"})
    assert wiping.status_code == 202, wiping.text
    # Until the code is verified, two-step verification still holds.
    assert_error(api("POST", "/v1/account", json={**NUMBER, "cert": new_certificate(network)[0]}), 400, 1008)
    finish_registration(api, network)

    assert set_same_shards(api).status_code == 201
    register(api, network)


def test_bad_input(api):
    assert_error(api("POST", PATH, json={}), 400, 1008)
    assert_error(api("POST", PATH, json={"pin": ""}), 400, 1009, "Pin must not be empty")
    assert_error(api("POST", PATH, json={"pin": "12ab56"}), 400, 1009)
    assert_error(api("POST", "/v1/account", json={**NUMBER, "cert": "QQ==", "vname_cert": "QQ=="}), 400, 1010,
                 "Exactly one of the following parameters must be present: 'cert', 'vname_cert'")
    assert_error(api("POST", "/v1/account", json={**NUMBER, "cert": "QQ==", "reset": "wipe", "pin": "123456"}),
                 400, 1010)


def test_a_user_is_refused(cluster, servers_env):
    client = MongoClient(servers_env["WA_MONGO_URL"], serverSelectionTimeoutMS=5000)
    try:
        token = issue_token(client[DB_NAME], 3600, username="operator", role="user")
    finally:
        client.close()
    user = api_client(cluster["stack"], token)
    assert_error(user("POST", PATH, json={"pin": "123456"}), 403, 1005)
    assert_error(user("DELETE", PATH), 403, 1005)
    assert_error(user("POST", "/v1/account", json={**NUMBER, "cert": "QQ=="}), 403, 1005)
