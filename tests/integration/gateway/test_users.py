from datetime import UTC, datetime, timedelta

import pytest

from services.users import throttle_rules
from services.users.token_rules import token_hash
from tests.common.factories import logged_in_admin
from tests.integration.gateway.conftest import META, NEW_PASSWORD, assert_error, basic, bearer, log_in_first


@pytest.fixture
def token(login_token) -> str:
    """Logging in is what this module tests: its token comes from a real first login."""
    return login_token


def login(client, password, body=None):
    kwargs = {"json": body} if body is not None else {}
    return client.post("/v1/users/login", headers=basic("admin", password), **kwargs)


def test_first_login_requires_password_change(client, db):
    response = login(client, "secret")
    assert_error(response, 401, 1024)
    assert response.get_json()["errors"][0]["title"] == "Password change required"
    admin = db.users.find_one({"_id": "admin"})
    assert admin["role"] == "admin"
    assert admin["must_change_password"] is True
    assert "secret" not in admin["password_hash"]
    assert db.tokens.count_documents({}) == 0


def test_password_change_then_login_with_new_password(client, db):
    response = login(client, "secret", {"new_password": NEW_PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == META
    [user] = body["users"]
    assert len(user["token"]) >= 43
    expires = datetime.strptime(user["expires_after"], "%Y-%m-%d %H:%M:%S%z")
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    assert db.users.find_one({"_id": "admin"})["must_change_password"] is False

    assert login(client, NEW_PASSWORD).status_code == 200
    assert_error(login(client, "secret"), 401, 1005, "Invalid credentials.")


def test_new_password_must_meet_policy(client, db):
    response = login(client, "secret", {"new_password": "weakpass"})
    assert_error(response, 400, 1009)
    assert response.get_json()["errors"][0]["details"].startswith("Password doesn't meet complexity requirements")
    assert db.users.find_one({"_id": "admin"})["must_change_password"] is True
    assert_error(login(client, "secret", {"new_password": 12345678}), 400, 1009)


def test_wrong_credentials(client):
    assert_error(login(client, "wrong"), 401, 1005, "Invalid credentials.")
    response = client.post("/v1/users/login", headers=basic("nobody", "secret"))
    assert_error(response, 401, 1005, "Invalid credentials.")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert_error(client.post("/v1/users/login"), 401, 1005)
    assert_error(client.post("/v1/users/login", headers={"Authorization": "Basic !!!"}), 401, 1005)


def test_token_is_stored_hashed(client, db, token):
    docs = list(db.tokens.find())
    assert [doc["_id"] for doc in docs] == [token_hash(token)]
    assert docs[0]["username"] == "admin"
    assert docs[0]["expires_at"] > datetime.now(UTC)
    assert token not in str(docs)
    assert token not in str(list(db.users.find()))


def test_logout_invalidates_token(client, db, token):
    response = client.post("/v1/users/logout", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    assert db.tokens.count_documents({}) == 0
    assert_error(client.get("/v1/health", headers=bearer(token)), 401, 1005, "Invalid credentials.")
    assert_error(client.post("/v1/users/logout", headers=bearer(token)), 401, 1005)


def test_several_tokens_coexist(client, db, token):
    second = login(client, NEW_PASSWORD).get_json()["users"][0]["token"]
    assert second != token
    assert client.get("/v1/health", headers=bearer(token)).status_code == 200
    assert client.get("/v1/health", headers=bearer(second)).status_code == 200


def test_expired_token(client, db, token):
    db.tokens.update_one({"_id": token_hash(token)}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    response = client.get("/v1/health", headers=bearer(token))
    assert_error(response, 401, 1005, "Token expired")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_or_invalid_token(client, token):
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Bearer"}, {"Authorization": token}):
        assert_error(client.post("/v1/messages", headers=headers, json={}), 401, 1005, "Invalid credentials.")


def test_bad_login_rate_limit(client):
    # Per account and client address first (tests/integration/gateway/test_login_throttling.py).
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert_error(login(client, "wrong"), 401, 1005)
    response = login(client, NEW_PASSWORD)
    assert_error(response, 429, 1015, "Rate limiting exceeded on bad login attempts")
    assert response.get_json()["errors"][0]["title"] == "Too many requests"


def test_the_factory_leaves_what_a_real_first_login_leaves(client, db, config):
    """tests/common/factories.py stands in for logging in elsewhere: it must write the
    documents the auth code writes, and they must work as a login's do."""
    log_in_first(client)
    real_user, real_token = db.users.find_one({"_id": "admin"}), db.tokens.find_one()
    db.users.delete_many({})
    db.tokens.delete_many({})

    token = logged_in_admin(db, NEW_PASSWORD, config.token_ttl_seconds)
    user, stored = db.users.find_one({"_id": "admin"}), db.tokens.find_one()
    assert set(user) == set(real_user) and set(stored) == set(real_token)
    same = ("role", "must_change_password")
    assert {key: user[key] for key in same} == {key: real_user[key] for key in same}
    assert (stored["username"], stored["role"]) == (real_token["username"], real_token["role"])
    assert abs(stored["expires_at"] - real_token["expires_at"]) < timedelta(minutes=1)
    assert client.get("/v1/health", headers=bearer(token)).status_code == 200
    assert login(client, NEW_PASSWORD).status_code == 200


# --- user management (spec §4.4) ------------------------------------------------------

USER_PASSWORD = "Us3r-Passw0rd!"
OTHER_PASSWORD = "0ther-Passw0rd?"


def create(client, auth_headers, username, password=USER_PASSWORD, **kwargs):
    return client.post("/v1/users", headers=auth_headers, json={"username": username, "password": password},
                       **kwargs)


def user_token(client, username, password=USER_PASSWORD) -> str:
    response = client.post("/v1/users/login", headers=basic(username, password))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["users"][0]["token"]


@pytest.fixture
def alice(client, auth) -> dict[str, str]:
    """A created user, logged in: its bearer headers."""
    assert create(client, auth, "alice").status_code == 201
    return bearer(user_token(client, "alice"))


def test_the_admin_creates_a_user_who_then_logs_in_as_role_user(client, auth, db):
    response = create(client, auth, "alice.b-2_~")
    assert response.status_code == 201
    assert response.get_json() == {"users": [{"username": "alice.b-2_~"}], "meta": META}
    stored = db.users.find_one({"_id": "alice.b-2_~"})
    assert stored["role"] == "user" and USER_PASSWORD not in str(stored)
    token = user_token(client, "alice.b-2_~")
    assert db.tokens.find_one({"_id": token_hash(token)})["role"] == "user"

    answer = client.get("/v1/users/alice.b-2_~", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json() == {"users": [{"username": "alice.b-2_~", "ROLES": "ROLE_USER"}], "meta": META}
    assert client.get("/v1/users/admin", headers=auth).get_json()["users"] == [
        {"username": "admin", "ROLES": "ROLE_ADMIN"}]


@pytest.mark.parametrize("body, code", [
    ({"password": USER_PASSWORD}, 1008),
    ({"username": "alice"}, 1008),
    ({"username": 12345, "password": USER_PASSWORD}, 1009),
    ({"username": "abc", "password": USER_PASSWORD}, 1009),
    ({"username": "a" * 33, "password": USER_PASSWORD}, 1009),
    ({"username": "al ice", "password": USER_PASSWORD}, 1009),
    ({"username": "al/ice", "password": USER_PASSWORD}, 1009),
    ({"username": "alïce", "password": USER_PASSWORD}, 1009),
    ({"username": "apikey", "password": USER_PASSWORD}, 1009),
    ({"username": "ApiKey", "password": USER_PASSWORD}, 1009),
    ({"username": "alice", "password": "weakpass"}, 1009),
])
def test_bad_input_to_create_is_refused_and_creates_nothing(client, auth, db, body, code):
    assert_error(client.post("/v1/users", headers=auth, json=body), 400, code)
    assert db.users.count_documents({}) == 1  # the admin


def test_a_name_taken_is_refused_with_1014(client, auth, db):
    assert create(client, auth, "alice").status_code == 201
    before = db.users.find_one({"_id": "alice"})
    assert_error(create(client, auth, "alice", OTHER_PASSWORD), 500, 1014, "Unable to create user. Already exist?")
    assert_error(create(client, auth, "admin"), 500, 1014, "Unable to create user. Already exist?")
    assert db.users.find_one({"_id": "alice"}) == before


def test_a_user_may_not_create_or_delete_users(client, auth, alice, db):
    assert_error(create(client, alice, "bobby"), 403, 1005)
    assert_error(client.delete("/v1/users/alice", headers=alice), 403, 1005)
    assert db.users.count_documents({"_id": {"$in": ["alice", "bobby"]}}) == 1


def test_a_user_reads_only_itself(client, auth, alice):
    assert client.get("/v1/users/alice", headers=alice).get_json()["users"] == [
        {"username": "alice", "ROLES": "ROLE_USER"}]
    assert create(client, auth, "bobby").status_code == 201
    assert_error(client.get("/v1/users/bobby", headers=alice), 403, 1005)
    assert_error(client.get("/v1/users/admin", headers=alice), 403, 1005)
    # An unknown name answers as another user's does: a user cannot probe for names.
    assert_error(client.get("/v1/users/nobody", headers=alice), 403, 1005)


def test_unknown_users_are_1006_for_the_admin(client, auth, db):
    for method in ("GET", "DELETE"):
        assert_error(client.open("/v1/users/nobody", method=method, headers=auth), 404, 1006, "User does not exist")
    assert_error(client.put("/v1/users/nobody", headers=auth, json={"password": USER_PASSWORD}), 404, 1006)
    assert db.users.count_documents({"_id": "nobody"}) == 0


def test_a_user_changes_its_password_and_every_token_it_held_stops_working(client, alice, db):
    second = bearer(user_token(client, "alice"))
    response = client.put("/v1/users/alice", headers=alice, json={"password": OTHER_PASSWORD})
    assert response.status_code == 200
    assert response.get_json() == {"users": [{"username": "alice"}], "meta": META}
    for revoked in (alice, second):
        assert_error(client.get("/v1/users/alice", headers=revoked), 401, 1005, "Invalid credentials.")
    assert_error(client.post("/v1/users/login", headers=basic("alice", USER_PASSWORD)), 401, 1005)
    after = bearer(user_token(client, "alice", OTHER_PASSWORD))
    assert client.get("/v1/users/alice", headers=after).status_code == 200


def test_a_password_change_leaves_other_users_tokens(client, auth, alice):
    assert client.put("/v1/users/alice", headers=auth, json={"password": OTHER_PASSWORD}).status_code == 200
    assert client.get("/v1/users/admin", headers=auth).status_code == 200
    assert_error(client.get("/v1/users/alice", headers=alice), 401, 1005)


def test_a_user_may_not_change_another_users_password(client, auth, alice, db):
    before = db.users.find_one({"_id": "admin"})["password_hash"]
    assert_error(client.put("/v1/users/admin", headers=alice, json={"password": OTHER_PASSWORD}), 403, 1005)
    assert db.users.find_one({"_id": "admin"})["password_hash"] == before
    assert client.get("/v1/users/admin", headers=auth).status_code == 200


@pytest.mark.parametrize("body, code", [({}, 1008), ({"password": "weakpass"}, 1009), ({"password": 12345678}, 1009)])
def test_a_bad_new_password_changes_nothing(client, alice, db, body, code):
    before = db.users.find_one({"_id": "alice"})
    assert_error(client.put("/v1/users/alice", headers=alice, json=body), 400, code)
    assert db.users.find_one({"_id": "alice"}) == before
    assert client.get("/v1/users/alice", headers=alice).status_code == 200


def test_deleting_a_user_revokes_its_tokens(client, auth, alice, db):
    response = client.delete("/v1/users/alice", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"users": [{"username": "alice"}], "meta": META}
    assert db.users.count_documents({"_id": "alice"}) == 0
    assert db.tokens.count_documents({"username": "alice"}) == 0
    assert_error(client.get("/v1/users/alice", headers=alice), 401, 1005)
    assert_error(client.post("/v1/users/login", headers=basic("alice", USER_PASSWORD)), 401, 1005)
    assert_error(client.get("/v1/users/alice", headers=auth), 404, 1006)


def test_the_admin_cannot_be_deleted(client, auth, db):
    assert_error(client.delete("/v1/users/admin", headers=auth), 400, 1009, "Admin user cannot be deleted")
    assert db.users.count_documents({"_id": "admin"}) == 1
    assert client.get("/v1/users/admin", headers=auth).status_code == 200


def test_the_monitoring_key_cannot_manage_users(config, db, redis):
    from dataclasses import replace

    from services.api_gateway.app import create_app

    client = create_app(replace(config, api_key="monitoring-key-123")).test_client()
    key = {"Authorization": "Apikey monitoring-key-123"}
    assert_error(create(client, key, "alice"), 401, 1005)
    assert_error(client.get("/v1/users/apikey", headers=key), 401, 1005)


# --- rate limits ----------------------------------------------------------------------


@pytest.fixture
def limited_client(config, db, redis):
    """The gateway allowing 2 user changes per address and hour."""
    import dataclasses

    from services.api_gateway.app import create_app

    gateway = dataclasses.replace(config.gateway, user_changes_per_hour=2)
    return create_app(dataclasses.replace(config, gateway=gateway)).test_client()


def test_user_changes_are_limited_per_address_and_hour(limited_client, auth, db):
    client, here, elsewhere = limited_client, {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "203.0.113.8"}
    assert create(client, auth, "alice", environ_base=here).status_code == 201
    changed = client.put("/v1/users/alice", headers=auth, json={"password": OTHER_PASSWORD}, environ_base=here)
    assert changed.status_code == 200

    refused = create(client, auth, "bobby", environ_base=here)
    assert_error(refused, 429, 1015, "Rate limiting exceeded on creating users and changing passwords")
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    assert_error(client.put("/v1/users/alice", headers=auth, json={"password": USER_PASSWORD}, environ_base=here),
                 429, 1015)
    assert db.users.count_documents({"_id": "bobby"}) == 0
    assert client.post("/v1/users/login", headers=basic("alice", OTHER_PASSWORD)).status_code == 200

    assert create(client, auth, "bobby", environ_base=elsewhere).status_code == 201


def test_a_login_that_changes_the_password_is_counted_as_a_user_change(limited_client, auth, db):
    client, here = limited_client, {"REMOTE_ADDR": "203.0.113.10"}
    assert create(client, auth, "alice", environ_base=here).status_code == 201  # the admin's count, not alice's
    passwords = [USER_PASSWORD, OTHER_PASSWORD, "Th1rd-Passw0rd!", "F0urth-Passw0rd!"]
    for old, new in zip(passwords[:2], passwords[1:3], strict=True):
        changed = client.post("/v1/users/login", headers=basic("alice", old), json={"new_password": new},
                              environ_base=here)
        assert changed.status_code == 200, changed.get_json()
    refused = client.post("/v1/users/login", headers=basic("alice", passwords[2]),
                          json={"new_password": passwords[3]}, environ_base=here)
    assert_error(refused, 429, 1015, "Rate limiting exceeded on creating users and changing passwords")
    assert client.post("/v1/users/login", headers=basic("alice", passwords[2]), environ_base=here).status_code == 200


def test_a_user_spending_its_budget_does_not_block_the_admin(limited_client, auth, db):
    client, here = limited_client, {"REMOTE_ADDR": "203.0.113.11"}
    assert create(client, auth, "alice", environ_base=here).status_code == 201
    alice_auth = bearer(user_token(client, "alice"))
    for password in (OTHER_PASSWORD, USER_PASSWORD):
        assert client.put("/v1/users/alice", headers=alice_auth, json={"password": password},
                          environ_base=here).status_code == 200
        alice_auth = bearer(user_token(client, "alice", password))
    assert_error(client.put("/v1/users/alice", headers=alice_auth, json={"password": OTHER_PASSWORD},
                            environ_base=here), 429, 1015)
    assert create(client, auth, "bobby", environ_base=here).status_code == 201  # the admin's second


def test_the_user_change_window_ends_when_redis_expires_it(limited_client, auth, redis):
    here = {"REMOTE_ADDR": "203.0.113.9"}
    for name in ("alice", "bobby"):
        assert create(limited_client, auth, name, environ_base=here).status_code == 201
    assert_error(create(limited_client, auth, "carol", environ_base=here), 429, 1015)
    key = throttle_rules.user_changes_key("203.0.113.9", "admin")
    redis.delete(key)  # what the end of the window does
    assert create(limited_client, auth, "carol", environ_base=here).status_code == 201


def test_a_bad_login_refusal_says_when_to_come_back(client, redis):
    log_in_first(client)
    for _ in range(throttle_rules.PER_ACCOUNT_ADDRESS.failures):
        assert_error(login(client, "wrong"), 401, 1005)
    refused = login(client, NEW_PASSWORD)
    assert_error(refused, 429, 1015)
    window = throttle_rules.PER_ACCOUNT_ADDRESS.window_seconds
    assert window - 10 <= int(refused.headers["Retry-After"]) <= window
    # Without credentials, the per-address count refuses once full, and says so too.
    for number in range(throttle_rules.PER_ADDRESS.failures):
        login_as = client.post("/v1/users/login", headers=basic(f"user{number}", "wrong"))
        assert login_as.status_code in (401, 429)
    anonymous = client.post("/v1/users/login")
    assert_error(anonymous, 429, 1015)
    assert 0 < int(anonymous.headers["Retry-After"]) <= throttle_rules.PER_ADDRESS.window_seconds
