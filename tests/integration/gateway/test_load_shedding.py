"""Load shedding on sends through the real app and its MongoDB (load_shedding.py)."""

from __future__ import annotations

from services.api_gateway.state import EXTENSION
from services.callbacks import outbox
from tests.common.waiting import wait_for
from tests.integration.gateway.conftest import assert_error, register

TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}
SETTINGS = "/v1/settings/application"


def patch(client, auth, body) -> None:
    response = client.patch(SETTINGS, headers=auth, json=body)
    assert response.status_code == 200, response.get_json()


def shed(client, auth) -> bool:
    """An invalid send: 400 when it reaches validation, 503 when shed before it (so
    polling stores nothing)."""
    return client.post("/v1/messages", headers=auth, json={}).status_code == 503


def queue_callbacks(app, db, count: int) -> None:
    celery = app.extensions[EXTENSION].celery
    first = db.pending_callbacks.count_documents({})
    callbacks = [(f"status:test-{first + n}", {"statuses": []}) for n in range(count)]
    queued = outbox.enqueue_callbacks(db, celery, callbacks)
    assert len(queued) == count


def test_above_the_callback_bound_a_send_is_shed_before_anything_is_stored(app, client, auth, db):
    register(db)
    patch(client, auth, {"load_shedding": {"max_pending_callbacks": 2}})
    queue_callbacks(app, db, 2)
    assert client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201  # at the bound: accepted
    stored = db.messages.count_documents({})

    queue_callbacks(app, db, 1)
    wait_for(lambda: shed(client, auth), timeout=2.5, message="no shedding above the bound")
    response = client.post("/v1/messages", headers={**auth, "Idempotency-Key": "shed-1"}, json=TEXT)

    assert_error(response, 503, 1016, "More than 2 callbacks wait for the webhook: retry once it has caught up")
    assert response.headers["Retry-After"] == "5"
    assert db.messages.count_documents({}) == stored
    assert db.idempotency_keys.count_documents({}) == 0


def test_sends_are_accepted_again_once_the_callbacks_drain(app, client, auth, db):
    register(db)
    patch(client, auth, {"load_shedding": {"max_pending_callbacks": 0}})
    queue_callbacks(app, db, 1)
    wait_for(lambda: shed(client, auth), timeout=2.5)

    db.pending_callbacks.delete_many({})  # the webhook caught up
    wait_for(lambda: not shed(client, auth), timeout=2.5, message="still shedding after the backlog drained")
    assert client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201


def test_above_the_outbound_bound_a_send_is_shed(client, auth, db):
    register(db)
    patch(client, auth, {"load_shedding": {"max_pending_messages": 1}})
    # Nothing sends them here (no core runs): they stay accepted.
    for _ in range(2):
        assert client.post("/v1/messages", headers=auth, json=TEXT).status_code == 201
    wait_for(lambda: shed(client, auth), timeout=2.5)
    response = client.post("/v1/messages", headers=auth, json=TEXT)
    assert_error(response, 503, 1016, "More than 1 accepted messages wait to be sent: retry once they have gone out")
    assert db.messages.count_documents({"status": "accepted"}) >= 2


def test_only_sends_are_shed(app, client, auth, db):
    register(db)
    patch(client, auth, {"load_shedding": {"max_pending_callbacks": 0}})
    queue_callbacks(app, db, 1)
    wait_for(lambda: shed(client, auth), timeout=2.5)
    assert client.get(SETTINGS, headers=auth).status_code == 200
    assert client.get("/v1/health", headers=auth).status_code == 200


def test_the_bounds_are_echoed_and_reset(client, auth):
    patch(client, auth, {"load_shedding": {"max_pending_callbacks": "7"}})
    shown = client.get(SETTINGS, headers=auth).get_json()["settings"]["application"]["load_shedding"]
    assert shown == {"max_pending_callbacks": 7, "max_pending_messages": 100_000}
    assert client.delete(SETTINGS, headers=auth).status_code == 200
    shown = client.get(SETTINGS, headers=auth).get_json()["settings"]["application"]["load_shedding"]
    assert shown == {"max_pending_callbacks": 100_000, "max_pending_messages": 100_000}


def test_a_bad_bound_is_refused(client, auth):
    response = client.patch(SETTINGS, headers=auth, json={"load_shedding": {"max_pending_messages": "lots"}})
    assert_error(response, 400, 1009)
    response = client.patch(SETTINGS, headers=auth, json={"load_shedding": 5})
    assert_error(response, 400, 1009)


def test_an_anonymous_send_is_not_shed_and_learns_nothing_of_the_backlog(app, client, auth, db):
    register(db)
    patch(client, auth, {"load_shedding": {"max_pending_callbacks": 0}})
    queue_callbacks(app, db, 1)
    wait_for(lambda: shed(client, auth), timeout=2.5)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = client.post("/v1/messages", headers=headers, json=TEXT)
        assert_error(response, 401, 1005)
        assert "Retry-After" not in response.headers
