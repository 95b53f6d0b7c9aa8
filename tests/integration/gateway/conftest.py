"""Gateway integration fixtures: the real app against the session's Redis and MongoDB."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import redis as redis_lib

from tests.common.factories import logged_in_admin

NEW_PASSWORD = "N3w-Passw0rd!"
META = {"api_status": "stable", "version": "v2.45.1"}


def basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def redis(config):
    client = redis_lib.Redis.from_url(config.redis_url)
    client.flushdb()
    yield client
    client.flushdb()  # leave no kicks or RPC requests for other suites' workers
    client.close()


@pytest.fixture
def app(config, db, redis):
    from services.api_gateway.app import create_app

    application = create_app(config)
    application.config["WA_CONTROL_RPC_TIMEOUT"] = 1.0
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(app, db, config) -> str:
    """An admin token as the first-login password change leaves it (``NEW_PASSWORD`` set),
    written directly: for the tests that need to be logged in, not to log in."""
    return logged_in_admin(db, NEW_PASSWORD, config.token_ttl_seconds)


@pytest.fixture
def login_token(client) -> str:
    """An admin token from a real first login with the password change: for the tests of
    logging in, users and passwords."""
    return log_in_first(client)


@pytest.fixture
def login_auth(login_token) -> dict[str, str]:
    return bearer(login_token)


def log_in_first(client) -> str:
    response = client.post("/v1/users/login", headers=basic("admin", "secret"), json={"new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["users"][0]["token"]


@pytest.fixture
def auth(token) -> dict[str, str]:
    return bearer(token)


def assert_error(response, status: int, code: int, details: str | None = None) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["meta"] == META
    assert body["errors"][-1]["code"] == code, body
    if details is not None:
        assert body["errors"][-1]["details"] == details, body
    assert set(body) == {"meta", "errors"}


def register(db, wa_id: str = "16315550000") -> None:
    db.account.insert_one(
        {"_id": "account", "cc": "1", "phone_number": wa_id[1:], "wa_id": wa_id, "state": "registered"}
    )


def insert_inbound_message(db, message_id: str = "ABGGFlA5FpafAgo6tHcNmNjXmuSf", wa_id: str = "16315551234") -> str:
    """An inbound text as the core stores it, for mark-read tests."""
    db.messages.insert_one(
        {
            "_id": message_id,
            "direction": "inbound",
            "wa_id": wa_id,
            "type": "text",
            "content": {"text": {"body": "hi"}},
            "status": "received",
            "status_timestamps": {},
            "timestamp": datetime.now(UTC),
        }
    )
    return message_id


@pytest.fixture
def core(app, monkeypatch):
    """Replace the control RPC's transport with a scripted core answer."""
    calls = []
    script = SimpleNamespace(answer=None)

    class Result:
        def get(self, timeout, propagate=True):
            assert timeout == 1.0
            if isinstance(script.answer, Exception):
                raise script.answer
            return script.answer

        def forget(self):
            pass

    def send_task(name, kwargs=None, queue=None, **options):
        calls.append((name, kwargs, queue))
        return Result()

    monkeypatch.setattr(app.extensions["wa_gateway"].celery, "send_task", send_task)
    script.calls = calls
    return script
