"""Bad input through the real app: every answer is the On-Prem envelope, never a 500,
and nothing is stored (issue 6, "Bad input never reaches a 500")."""

from __future__ import annotations

import base64
import json

import pytest

from services.common.clock import utcnow
from tests.integration.gateway.conftest import NEW_PASSWORD, assert_error, basic, bearer, register

TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}
WA_ID = "16315551000"
HASH = "UKD6Y/5SqDU="
CERT = base64.b64encode(b"certificate").decode()

# (method, path, a valid body to spoil): every endpoint that reads a JSON body.
ENDPOINTS = [
    ("POST", "/v1/messages", TEXT),
    ("PUT", "/v1/messages/ABGGFlA5FpafAgo6tHcNmNjXmuSf", {"status": "read"}),
    ("POST", "/v1/contacts", {"contacts": ["+1 631 555 1000"], "blocking": "no_wait"}),
    ("PUT", f"/v1/contacts/{WA_ID}/identity", {"hash": HASH}),
    ("PATCH", "/v1/settings/application", {"callback_backoff_delay_ms": 500}),
    ("POST", "/v1/account", {"cc": "1", "phone_number": "6315550000", "cert": CERT}),
    ("POST", "/v1/account/verify", {"code": "123456"}),
    ("POST", "/v1/users/login", {"new_password": NEW_PASSWORD}),
]
IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


def deep(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def deep_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.fixture
def known_contact(db):
    """A registered business with one contact whose identity is known, so that every
    endpoint above gets as far as its database work with a good body."""
    register(db)
    db.contacts.insert_one({"_id": WA_ID, "identity_hash": HASH, "identity_created_at": utcnow(),
                            "identity_acknowledged": False})


def call(client, auth, method: str, path: str, data: str):
    headers = basic("admin", NEW_PASSWORD) if path == "/v1/users/login" else auth
    return client.open(path, method=method, headers=headers, data=data, content_type="application/json")


def spoiled(body: dict, raw_value: str) -> str:
    """``body`` as JSON with its first value replaced by ``raw_value`` (raw JSON text)."""
    first = next(iter(body))
    return json.dumps({**body, first: "@@"}).replace('"@@"', raw_value, 1)


def assert_nothing_changed(db, redis) -> None:
    assert db.messages.count_documents({}) == 0
    assert db.contact_check_requests.count_documents({}) == 0
    assert db.settings.count_documents({}) == 0
    assert db.contacts.find_one({"_id": WA_ID})["identity_acknowledged"] is False
    assert redis.llen("core.control") == 0 and redis.llen("core.shard.0") == 0


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    "make",
    [
        lambda body: deep(1000),
        lambda body: deep_objects(1000),
        lambda body: spoiled(body, deep(100_000)),
        lambda body: spoiled(body, deep(65, '"x"')),
    ],
    ids=["array-1000", "object-1000", "value-100000", "value-65"],
)
def test_deep_json_is_not_valid(client, auth, db, redis, known_contact, method, path, body, make):
    response = call(client, auth, method, path, make(body))
    assert_error(response, 400, 1025, "Request body is nested too deeply: at most 64 levels")
    assert_nothing_changed(db, redis)


def test_depth_64_is_allowed(client, auth, db, known_contact):
    # The limit is on nesting, not on what the endpoint makes of it: 64 levels reach validation.
    response = call(client, auth, "POST", "/v1/messages", spoiled(TEXT, deep(63)))
    assert_error(response, 400, 1009)


def test_too_many_values(client, auth, db, redis, known_contact):
    raw = spoiled({"contacts": 1}, "[" + ",".join(["0"] * 50_001) + "]")
    assert_error(call(client, auth, "POST", "/v1/contacts", raw), 400, 1025,
                 "Request body has too many values: at most 50000")
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    ("raw", "details"),
    [
        ('"\\ud800"', "invalid value '\\ud800'"),
        ('"x\\udfff y"', "invalid value 'x\\udfff y'"),
        ('["ok", "\\udbff"]', "invalid value '\\udbff'"),
    ],
    ids=["high", "low", "in-a-list"],
)
def test_lone_surrogates_are_1009(client, auth, db, redis, known_contact, method, path, body, raw, details):
    response = call(client, auth, method, path, spoiled(body, raw))
    assert_error(response, 400, 1009)
    assert details in response.get_json()["errors"][0]["details"]
    assert_nothing_changed(db, redis)


def test_raw_surrogate_bytes_are_1009(client, auth, db, redis, known_contact):
    # json.loads decodes bytes with "surrogatepass": UTF-8-encoded surrogates get through it.
    raw = json.dumps(TEXT).encode().replace(b'"hello"', b'"\xed\xa0\x80"')
    response = client.post("/v1/messages", headers=auth, data=raw, content_type="application/json")
    assert_error(response, 400, 1009, "Parameter 'text.body' has invalid value '\\ud800'")
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    ("key", "shown"),
    [('"\\ud800"', "\\ud800"), ('"a\\u0000b"', "a\\x00b"), ('"$set"', "$set"), ('"$where"', "$where")],
    ids=["surrogate", "nul", "dollar-set", "dollar-where"],
)
def test_keys_mongodb_cannot_take_are_1009(client, auth, db, redis, known_contact, method, path, body, key, shown):
    raw = json.dumps(body)[:-1] + f', {key}: 1}}'
    response = call(client, auth, method, path, raw)
    assert_error(response, 400, 1009, f"Parameter '{shown}' has an invalid name")
    assert_nothing_changed(db, redis)


def test_nested_bad_key_names_its_path(client, auth, db, redis, known_contact):
    raw = json.dumps({**TEXT, "text": {"body": "x", "$inc": 1}})
    assert_error(call(client, auth, "POST", "/v1/messages", raw), 400, 1009,
                 "Parameter 'text.$inc' has an invalid name")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_not_json(client, auth, db, redis, known_contact, method, path, body, raw):
    response = call(client, auth, method, path, spoiled(body, raw))
    assert_error(response, 400, 1025, "Request body is not valid JSON")
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("raw", ["1e400", "-1e400", str(10**30), str(2**63), str(-(2**63) - 1), "1" + "0" * 5000])
def test_numbers_out_of_range_are_1009(client, auth, db, redis, known_contact, method, path, body, raw):
    response = call(client, auth, method, path, spoiled(body, raw))
    assert response.status_code == 400, response.get_json()
    assert_error(response, 400, 1009)
    first = next(iter(body))
    assert response.get_json()["errors"][0]["details"] == (
        f"Parameter '{first}' has invalid value: the number is out of range")
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/v1/messages", "ttl", 10**30),
        ("/v1/messages", "ttl", 2**63 - 1),
        ("/v1/messages", "ttl", 86400.0),
        ("/v1/messages", "ttl", 1e300),
        ("/v1/messages", "to", 16315551234.0),
        ("/v1/settings/application", "callback_backoff_delay_ms", 2**63 - 1),
        ("/v1/settings/application", "callback_backoff_delay_ms", 500.0),
        ("/v1/settings/application", "callback_backoff_delay_ms", 5e-324),
        ("/v1/settings/application", "webhooks", {"max_concurrent_requests": 6.0}),
        ("/v1/contacts", "force_check", 1),
        ("/v1/account", "cc", 1),
        ("/v1/account", "phone_number", 6315550000),
        ("/v1/account", "pin", 123456),
        ("/v1/account/verify", "code", 123456),
        ("/v1/account/verify", "code", 123456.0),
    ],
)
def test_numeric_fields_are_bounded(client, auth, db, redis, known_contact, path, field, value):
    method, _, body = next(endpoint for endpoint in ENDPOINTS if endpoint[1] == path)
    response = call(client, auth, method, path, json.dumps({**body, field: value}))
    assert_error(response, 400, 1009)
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", {**TEXT, "to": "１６３１５５５１２３４"}),
        ("/v1/messages", {**TEXT, "to": "+1 ６31 555 1234"}),
        ("/v1/messages", {**TEXT, "ttl": "８６４００"}),
        ("/v1/messages", {**TEXT, "ttl": "P١D"}),
        ("/v1/settings/application", {"callback_backoff_delay_ms": "５００"}),
        ("/v1/settings/application", {"webcallbacks": {"０": "https://example.com/a"}}),
        ("/v1/account", {"cc": "１", "phone_number": "6315550000", "cert": CERT}),
        ("/v1/account", {"cc": "1", "phone_number": "٦٣١٥٥٥٠٠٠٠", "cert": CERT}),
        ("/v1/account", {"cc": "1", "phone_number": "6315550000", "cert": CERT, "pin": "１２３４５６"}),
        ("/v1/account/verify", {"code": "１２３４５６"}),
        ("/v1/account/verify", {"code": "١٢٣-٤٥٦"}),
    ],
)
def test_only_ascii_digits_are_digits(client, auth, db, redis, known_contact, path, body):
    method = next(endpoint[0] for endpoint in ENDPOINTS if endpoint[1] == path)
    assert_error(call(client, auth, method, path, json.dumps(body)), 400, 1009)
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize("wa_id", ["１６３１５５５１０００", "16315551000\u0660", "1631555%0A1000", "%00"])
def test_wa_id_path_parameter_is_ascii_digits(client, auth, db, known_contact, wa_id):
    assert_error(client.get(f"/v1/contacts/{wa_id}/identity", headers=auth), 400, 1009)
    assert_error(client.put(f"/v1/contacts/{wa_id}/identity", headers=auth, json={"hash": HASH}), 400, 1009)


def test_contact_inputs_with_fullwidth_digits_are_not_numbers(client, auth, db, known_contact):
    response = client.post("/v1/contacts", headers=auth, json={"contacts": ["１６３１５５５１０００"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["contacts"] == [{"input": "１６３１５５５１０００", "status": "invalid"}]


@pytest.mark.parametrize("message_id", ["a%00b", "%ED%A0%80", "x" * 2000, "%0Afake"])
def test_message_id_path_parameter(client, auth, db, redis, known_contact, message_id):
    response = client.put(f"/v1/messages/{message_id}", headers=auth, json={"status": "read"})
    assert_error(response, 404, 1006, "Message not found")
    assert_nothing_changed(db, redis)


@pytest.mark.parametrize("username", ["a\x00b", "$where", "x" * 5000, "\u00e9"])
def test_odd_basic_user_names_are_denied(client, db, username):
    raw = base64.b64encode(f"{username}:{NEW_PASSWORD}".encode()).decode()
    response = client.post("/v1/users/login", headers={"Authorization": f"Basic {raw}"})
    assert_error(response, 401, 1005, "Invalid credentials.")


def test_new_password_with_a_lone_surrogate(client, login_token, db):
    # About passwords: the admin comes from a real first login, not from a factory.
    before = db.users.find_one({"_id": "admin"})["password_hash"]
    response = call(client, bearer(login_token), "POST", "/v1/users/login", '{"new_password": "N3w-Passw0rd!\\ud800"}')
    assert_error(response, 400, 1009)
    assert db.users.find_one({"_id": "admin"})["password_hash"] == before


@pytest.mark.parametrize(("method", "path", "_body"), ENDPOINTS, ids=IDS)
def test_options_answers_allow_in_the_envelope(client, method, path, _body):
    response = client.options(path)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"meta": {"api_status": "stable", "version": "v2.45.1"}}
    allowed = {item.strip() for item in response.headers["Allow"].split(",")}
    assert method in allowed and "OPTIONS" in allowed


def test_options_on_an_unknown_path_is_404(client):
    assert_error(client.options("/v1/nope"), 404, 1006, "Unknown path")


def test_an_internal_error_logs_the_path_on_one_line(app, caplog):
    def boom(anything):
        raise RuntimeError("kaboom")

    app.add_url_rule("/v1/test-boom/<anything>", "boom", boom)
    with caplog.at_level("ERROR"):
        response = app.test_client().get("/v1/test-boom/x%0a2030-01-01 gateway ERROR forged%1b[2K")
    assert_error(response, 500, 1014, "Internal error")
    [message] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert message == "unhandled error on GET /v1/test-boom/x\\x0a2030-01-01 gateway ERROR forged\\x1b[2K"
