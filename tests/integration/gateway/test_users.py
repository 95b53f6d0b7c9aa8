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
