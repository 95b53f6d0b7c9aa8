"""Users and roles through the real processes (spec §4, §4.4): the shared stack, so
every user has a name of its own and the admin's password is never changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from services.users import throttle_rules
from tests.e2e.conftest import api_client

PASSWORD = "Us3r-Passw0rd!"
NEW_PASSWORD = "N3w-Us3r-Passw0rd?"


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(response: requests.Response) -> tuple[int, int]:
    return response.status_code, response.json()["errors"][-1]["code"]


def log_in(stack, username: str, password: str) -> requests.Response:
    return requests.post(f"{stack.api_url}/v1/users/login", auth=(username, password), timeout=10)


def token_of(stack, username: str, password: str = PASSWORD) -> str:
    response = log_in(stack, username, password)
    assert response.status_code == 200, response.text
    return response.json()["users"][0]["token"]


@pytest.fixture
def user(stack, api) -> tuple[str, Callable[..., requests.Response]]:
    """A new ROLE_USER, logged in: its name and its API client."""
    name = unique_name()
    assert api("POST", "/v1/users", json={"username": name, "password": PASSWORD}).status_code == 201
    return name, api_client(stack, token_of(stack, name))


def test_create_get_update_and_delete_a_user(stack, api):
    name = unique_name()
    created = api("POST", "/v1/users", json={"username": name, "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert created.json()["users"] == [{"username": name}]
    assert api("GET", f"/v1/users/{name}").json()["users"] == [{"username": name, "ROLES": "ROLE_USER"}]
    assert api("GET", "/v1/users/admin").json()["users"] == [{"username": "admin", "ROLES": "ROLE_ADMIN"}]

    updated = api("PUT", f"/v1/users/{name}", json={"password": NEW_PASSWORD})
    assert updated.status_code == 200 and updated.json()["users"] == [{"username": name}]
    assert log_in(stack, name, NEW_PASSWORD).status_code == 200

    deleted = api("DELETE", f"/v1/users/{name}")
    assert deleted.status_code == 200 and deleted.json()["users"] == [{"username": name}]
    assert error(api("GET", f"/v1/users/{name}")) == (404, 1006)
    assert error(log_in(stack, name, NEW_PASSWORD)) == (401, 1005)


def test_a_role_user_is_refused_on_admin_routes_and_on_other_users(api, user):
    name, as_user = user
    assert as_user("GET", f"/v1/users/{name}").json()["users"] == [{"username": name, "ROLES": "ROLE_USER"}]
    assert error(as_user("GET", "/v1/settings/application")) == (403, 1005)
    assert error(as_user("GET", "/v1/account/shards")) == (403, 1005)
    assert error(as_user("POST", "/v1/users", json={"username": unique_name(), "password": PASSWORD})) == (403, 1005)
    assert error(as_user("GET", "/v1/users/admin")) == (403, 1005)
    assert error(as_user("PUT", "/v1/users/admin", json={"password": NEW_PASSWORD})) == (403, 1005)
    assert error(as_user("DELETE", f"/v1/users/{name}")) == (403, 1005)
    assert as_user("GET", "/v1/health").status_code == 200


def test_a_password_change_revokes_the_tokens_issued_before(stack, api, user):
    name, before = user
    assert before("PUT", f"/v1/users/{name}", json={"password": NEW_PASSWORD}).status_code == 200
    assert error(before("GET", f"/v1/users/{name}")) == (401, 1005)
    after = api_client(stack, token_of(stack, name, NEW_PASSWORD))
    assert after("GET", f"/v1/users/{name}").status_code == 200


def test_deleting_a_user_revokes_its_tokens(api, user):
    name, as_user = user
    assert api("DELETE", f"/v1/users/{name}").status_code == 200
    assert error(as_user("GET", f"/v1/users/{name}")) == (401, 1005)


@pytest.mark.parametrize("body, expected", [
    ({"password": PASSWORD}, (400, 1008)),
    ({"username": "abc", "password": PASSWORD}, (400, 1009)),
    ({"username": "not url/safe", "password": PASSWORD}, (400, 1009)),
    ({"username": "apikey", "password": PASSWORD}, (400, 1009)),
    ({"username": "weak-password", "password": "weakpass"}, (400, 1009)),
])
def test_bad_input_to_create(api, body, expected):
    assert error(api("POST", "/v1/users", json=body)) == expected


def test_errors_of_existing_and_unknown_users(api, user):
    name, _ = user
    taken = api("POST", "/v1/users", json={"username": name, "password": PASSWORD})
    assert error(taken) == (500, 1014)
    assert taken.json()["errors"][0]["details"] == "Unable to create user. Already exist?"
    unknown = unique_name("nobody")
    assert error(api("GET", f"/v1/users/{unknown}")) == (404, 1006)
    assert error(api("PUT", f"/v1/users/{unknown}", json={"password": PASSWORD})) == (404, 1006)
    assert error(api("DELETE", "/v1/users/admin")) == (400, 1009)


def test_bad_logins_are_refused_with_1015_and_retry_after(stack, user):
    # An account of its own: the admin's bad-login counts stay as other tests left them.
    name, _ = user
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert error(log_in(stack, name, "Wr0ng-Passw0rd!")) == (401, 1005)
    refused = log_in(stack, name, PASSWORD)
    assert error(refused) == (429, 1015)
    assert 0 < int(refused.headers["Retry-After"]) <= throttle_rules.PER_ACCOUNT_ADDRESS.window_seconds


@pytest.mark.parametrize("path", ["/v1/health", "/metrics", "/v1/stats/app", "/v1/stats/db"])
def test_the_monitoring_key_opens_the_monitoring_routes_only(stack, path, registration):
    def with_key(key: str, method: str = "GET", route: str = path, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{stack.api_url}{route}", headers={"Authorization": f"Apikey {key}"},
                                timeout=30, **kwargs)

    key = stack.env["WA_API_KEY"]
    answer = with_key(key)
    assert answer.status_code == 200, answer.text
    assert error(with_key(key + "x")) == (401, 1005)
    assert error(with_key(key, "GET", "/v1/users/admin")) == (401, 1005)
    assert error(with_key(key, "GET", "/v1/settings/application")) == (401, 1005)
