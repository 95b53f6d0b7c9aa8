"""Property: whatever a client sends to the main body-taking endpoints, the answer is the
On-Prem envelope and never a 500 (issue 6). Generated bodies mix the endpoints' own
fields with hostile values: lone surrogates, NUL and ``$`` keys, huge integers, NaN and
infinities, deep nesting, bytes that are not JSON. Derandomized: the same examples on
every run, a few hundred in all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.gateway.conftest import META, NEW_PASSWORD, basic, register

PROPERTY = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
HOSTILE_STRINGS = st.sampled_from(["\ud800", "a\udfffb", "\x00", "\x1b[2K\r\n", "５００", "１６３１５５５１２３４", ""])
HOSTILE_NUMBERS = st.sampled_from([2**63, -(2**63) - 1, 10**30, float("nan"), float("inf"), -float("inf"), 1e308,
                                   -0.0, 5e-324, 2**63 - 1])
strings = st.one_of(st.text(ANY_CHAR, max_size=20), HOSTILE_STRINGS)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings, HOSTILE_NUMBERS)


def values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=12,
    )


def body_of(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    keys = st.one_of(st.sampled_from([*fields, "$set", "a.b", "a\x00b", "\ud800", "preview_url"]), strings)
    hostile = values(keys)
    documents = st.fixed_dictionaries({}, optional={name: st.one_of(good, hostile) for name, good in fields.items()})
    encoded = st.one_of(documents, hostile).map(lambda doc: json.dumps(doc).encode())
    nested = st.integers(60, 3000).map(lambda depth: ("[" * depth + "]" * depth).encode())
    return st.one_of(encoded, encoded, encoded, nested, st.binary(max_size=64))


def _object(fields: dict[str, Any]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional=fields)


# Template and hsm sends, and contact checks that wait, would ask the core, which these
# tests do not run (its absence is a 500/1014 by design).
MESSAGE_TYPES = st.sampled_from(["text", "location", "contacts", "interactive", "reaction", "image", "unknown"])
MESSAGE_FIELDS = {
    "to": st.sampled_from(["16315551234", "+1 631 555 1234", "(631) 555-1234", "１６３１"]) | st.integers(),
    "type": MESSAGE_TYPES,
    "recipient_type": st.sampled_from(["individual", "group"]),
    "preview_url": st.booleans(),
    "ttl": st.sampled_from(["P1D", "PT1H", "86400", 86400, "P١D", "", 2**70]),
    "text": _object({"body": strings, "preview_url": st.booleans()}),
    "location": _object({"latitude": st.floats(), "longitude": st.floats(), "name": strings}),
    "reaction": _object({"message_id": strings, "emoji": strings}),
    "context": _object({"message_id": strings}),
}
CONTACT_FIELDS = {
    "contacts": st.lists(st.sampled_from(["+1 631 555 1000", "16315551001", "１６３１"]) | strings, max_size=5),
    "blocking": st.sampled_from(["no_wait", "later"]),
    "force_check": st.booleans(),
}
SETTING_FIELDS = {
    "callback_backoff_delay_ms": st.sampled_from([500, "500", "５００", 500.0, 2**64]),
    "webhooks": _object({"url": st.sampled_from(["https://example.com/h", "http://x", "https://\ud800"]) | strings,
                         "max_concurrent_requests": st.sampled_from([6, 12, 7, "6"]),
                         "message": _object({"sent": st.booleans(), "delivered": scalars})}),
    "media": _object({"auto_download": st.lists(st.sampled_from(["image", "audio", "x"]), max_size=3)}),
    "on_call_pager": strings,
    "webcallbacks": st.dictionaries(st.sampled_from(["0", "1", "０"]) | strings, strings, max_size=2),
}
LOGIN_FIELDS = {"new_password": st.sampled_from([NEW_PASSWORD, "short", "N3w-Passw0rd!\ud800"]) | strings}


def assert_enveloped(response) -> None:
    assert response.status_code < 500, response.get_data()
    body = response.get_json()
    assert body["meta"] == META
    if response.status_code >= 400:
        assert set(body) == {"meta", "errors"}
        assert body["errors"] and all({"code", "title"} <= set(error) for error in body["errors"])


@pytest.fixture
def registered(db):
    register(db)


def post(client, method: str, path: str, headers: dict[str, str], raw: bytes):
    return client.open(path, method=method, headers=headers, data=raw, content_type="application/json")


@settings(PROPERTY, max_examples=150)
@given(raw=body_of(MESSAGE_FIELDS))
def test_messages(client, auth, registered, raw):
    assert_enveloped(post(client, "POST", "/v1/messages", auth, raw))


@settings(PROPERTY, max_examples=80)
@given(raw=body_of(CONTACT_FIELDS))
def test_contacts(client, auth, registered, raw):
    assert_enveloped(post(client, "POST", "/v1/contacts", auth, raw))


@settings(PROPERTY, max_examples=100)
@given(raw=body_of(SETTING_FIELDS))
def test_settings(client, auth, raw):
    assert_enveloped(post(client, "PATCH", "/v1/settings/application", auth, raw))


@settings(PROPERTY, max_examples=40)
@given(raw=body_of(LOGIN_FIELDS))
def test_login(client, token, db, raw):
    saved = db.users.find_one({"_id": "admin"})
    assert_enveloped(post(client, "POST", "/v1/users/login", basic("admin", NEW_PASSWORD), raw))
    # A body that set a new password is fine; the next example logs in with the old one.
    db.users.replace_one({"_id": "admin"}, saved)
