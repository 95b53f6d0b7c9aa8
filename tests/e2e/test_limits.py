"""Request-rate limits and load shedding through the real gateway (gunicorn, several
workers), its Redis and MongoDB: a limit set by PATCH is enforced by every worker, and
sends are shed while the callback backlog is above its bound. Each test restores the
settings it changed, since the stack is shared."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pymongo

from services.api_gateway import live_settings
from services.common.clock import utcnow
from tests.common.waiting import wait_for

SETTINGS = "/v1/settings/application"


def _db(stack):
    return pymongo.MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)[stack.env["WA_MONGO_DB"]]


def _invalid_send_status(api) -> int:
    """A send without a recipient: 400 once it reaches validation, so polling with it
    stores nothing; 429 or 503 when refused before."""
    return api("POST", "/v1/messages", json={}).status_code


def _patch(api, body: dict[str, Any]) -> None:
    answer = api("PATCH", SETTINGS, json=body)
    assert answer.status_code == 200, answer.text


def _every_worker_has_read_the_settings() -> None:
    # Not an assertion: each gateway worker reads the settings (and the backlog) again
    # once they are a second old, so after this wait none holds what preceded a change.
    time.sleep(live_settings.MAX_AGE_SECONDS)


@contextmanager
def _changed(api, body: dict[str, Any], restore: dict[str, Any], refused: int) -> Iterator[None]:
    """``body`` set for the block, seen by the first worker within 2 s (a send refused
    with ``refused``) and then by every one; ``restore`` set after it, likewise."""
    _patch(api, body)
    try:
        wait_for(lambda: _invalid_send_status(api) == refused, timeout=2.5, message="the change was not enforced")
        _every_worker_has_read_the_settings()
        wait_for(lambda: all(_invalid_send_status(api) == refused for _ in range(6)), timeout=5,
                 message="a worker did not enforce the change")
        yield
    finally:
        _patch(api, restore)
        wait_for(lambda: _invalid_send_status(api) == 400, timeout=2.5, message="sends still refused after restoring")
        _every_worker_has_read_the_settings()


def test_a_send_limit_set_by_patch_is_enforced_by_the_running_gateway(api):
    default = api("GET", SETTINGS).json()["settings"]["application"]["messaging_api_rate_limit"]
    assert default == 0  # sends are not limited unless the operator says so
    with _changed(api, {"messaging_api_rate_limit": 1}, {"messaging_api_rate_limit": default}, refused=429):
        # 1/s bursting to 3: of four sends at once, at least one is refused, whichever
        # worker each reaches (the bucket is the cluster's).
        answers = [api("POST", "/v1/messages", json={}) for _ in range(4)]
        refused = next((answer for answer in answers if answer.status_code == 429), None)
        assert refused is not None, [answer.status_code for answer in answers]
        assert refused.json()["errors"][0]["code"] == 1015
        assert refused.json()["errors"][0]["title"] == "Too many requests"
        assert refused.headers["Retry-After"] == "1"


def test_sends_are_shed_above_the_callback_bound_and_nothing_is_stored(stack, api, registration, new_phone):
    db = _db(stack)
    bound = api("GET", SETTINGS).json()["settings"]["application"]["load_shedding"]["max_pending_callbacks"]
    # A callback the dispatcher will not attempt for an hour: a backlog of the webhook's
    # own making would take the shared webhook away from the other tests.
    backlog_id = "status:e2e-load-shedding"
    db.pending_callbacks.insert_one({"_id": backlog_id, "payload": {"statuses": []}, "attempts": 0,
                                     "next_attempt_at": utcnow() + timedelta(hours=1), "created_at": utcnow(),
                                     "last_error": None})
    try:
        restore = {"load_shedding": {"max_pending_callbacks": bound}}
        with _changed(api, {"load_shedding": {"max_pending_callbacks": 0}}, restore, refused=503):
            stored = db.messages.count_documents({"direction": "outbound"})
            phone = new_phone("Shed")
            refused = api("POST", "/v1/messages", headers={"Idempotency-Key": "e2e-shed"},
                          json={"to": phone, "type": "text", "text": {"body": "not now"}})
            assert refused.status_code == 503, refused.text
            assert refused.json()["errors"][0]["code"] == 1016
            assert refused.headers["Retry-After"] == "5"
            assert db.messages.count_documents({"direction": "outbound"}) == stored
            assert db.idempotency_keys.count_documents({"_id": {"$regex": ":e2e-shed$"}}) == 0
    finally:
        db.pending_callbacks.delete_one({"_id": backlog_id})

    accepted = api("POST", "/v1/messages", headers={"Idempotency-Key": "e2e-shed"},
                   json={"to": phone, "type": "text", "text": {"body": "now"}})
    assert accepted.status_code == 201, accepted.text
