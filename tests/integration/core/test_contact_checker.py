"""The core's contact checks and identity records against real MongoDB and a real sandbox."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import requests

from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.contacts import checks as contact_checks
from services.contacts import identity as contact_identity
from services.core_worker import contact_checker, identity_changes, registration
from services.core_worker.context import CoreContext
from services.protocol import IdentityKeyPair, PrekeyBundle, Session, SignedPrekey
from services.sessions.session_store import identity_hash
from tests.integration.sandbox.conftest import SandboxProcess, free_port

BUSINESS = {"cc": "1", "phone_number": "5550177", "vname": "Checker"}


@pytest.fixture(scope="module")
def sandbox():
    proc = SandboxProcess().start()
    try:
        yield proc
    finally:
        proc.stop()


def _context(config, network_url: str) -> CoreContext:
    context = CoreContext(dataclasses.replace(config, network_url=network_url), make_celery(config, "core-test"))
    context.redis.flushdb()
    return context


@pytest.fixture
def ctx(config, db, sandbox):
    context = _context(config, sandbox.url)
    cert = requests.post(sandbox.url + "/sandbox/v1/certificates", json=BUSINESS, timeout=10).json()["cert"]
    assert registration.request_code(context, cc="1", phone_number=BUSINESS["phone_number"], method="sms",
                                     cert=cert)["http_status"] == 202
    code = requests.get(f"{sandbox.url}/sandbox/v1/verification-codes/1{BUSINESS['phone_number']}",
                        timeout=10).json()["code"]
    assert registration.verify_code(context, code=code)["http_status"] == 201
    yield context
    context.redis.flushdb()  # the callbacks and kicks queued here are for no one


def _phone(sandbox, wa_id: str) -> None:
    answer = requests.post(sandbox.url + "/sandbox/v1/phones", json={"wa_id": wa_id, "name": "P"}, timeout=10)
    assert answer.status_code == 201, answer.text


def test_a_wait_check_asks_the_network_and_caches(ctx, db, sandbox):
    _phone(sandbox, "15550170001")
    answer = contact_checker.answer(ctx, ["15550170001", "15550170002", "15550170001"])
    assert answer == {"http_status": 200, "payload": {"results": {"15550170001": "15550170001",
                                                                  "15550170002": None}}}
    assert contact_checks.cached(db, ["15550170001", "15550170002"]) == {"15550170001": "15550170001",
                                                                        "15550170002": None}


def test_a_wait_check_reports_failed_numbers_when_the_network_is_down(ctx, config, db):
    down = _context(config, f"http://127.0.0.1:{free_port()}")
    assert contact_checker.answer(down, ["15550170003"]) == {"http_status": 200,
                                                             "payload": {"failed": ["15550170003"]}}
    assert contact_checks.cached(db, ["15550170003"]) == {}


def test_a_no_wait_check_queues_its_callback_once(ctx, db, sandbox):
    _phone(sandbox, "15550170004")
    items = [("+1 555 017 0004", "15550170004"), ("15550170005", "15550170005")]
    contact_checks.save_request(db, "chk1", items)
    contact_checker.run_request(ctx, "chk1")
    contact_checker.run_request(ctx, "chk1")  # a duplicate kick finds nothing to do
    [callback] = db.pending_callbacks.find({"_id": "contacts:chk1"})
    assert callback["payload"] == {"contacts": [
        {"input": "+1 555 017 0004", "status": "valid", "wa_id": "15550170004"},
        {"input": "15550170005", "status": "invalid"},
    ]}
    assert db.contact_check_requests.count_documents({}) == 0


def test_a_no_wait_check_retries_with_backoff_then_reports_failed(ctx, config, db):
    down = _context(config, f"http://127.0.0.1:{free_port()}")
    contact_checks.save_request(db, "chk2", [("15550170006", "15550170006")])
    contact_checker.run_request(down, "chk2")
    request = db.contact_check_requests.find_one({"_id": "chk2"})
    assert request["attempts"] == 1
    assert request["next_attempt_at"] > utcnow() + timedelta(seconds=1)
    assert db.pending_callbacks.count_documents({}) == 0
    [kick] = [json.loads(raw) for raw in down.redis.lrange("core.control", 0, -1)]
    assert kick["headers"]["task"] == "core.check_contacts_later" and kick["headers"]["eta"]
    db.contact_check_requests.update_one({"_id": "chk2"}, {"$set": {"attempts": contact_checker.MAX_ATTEMPTS - 1}})
    contact_checker.run_request(down, "chk2")
    [callback] = db.pending_callbacks.find({"_id": "contacts:chk2"})
    assert callback["payload"] == {"contacts": [{"input": "15550170006", "status": "failed"}]}
    assert db.contact_check_requests.count_documents({}) == 0


def test_a_lost_kick_is_sent_again_once(ctx, db):
    contact_checks.save_request(db, "chk3", [("15550170007", "15550170007")])
    overdue = utcnow() - timedelta(minutes=5)
    db.contact_check_requests.update_one({"_id": "chk3"}, {"$set": {"next_attempt_at": overdue}})
    assert contact_checker.kick_stale(ctx) == 1
    assert contact_checker.kick_stale(ctx) == 0


def _session_with_new_identity() -> Session:
    ours, theirs = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    return Session.initiate(ours, PrekeyBundle.from_keys(theirs.public, SignedPrekey.generate(theirs, 1)))


def test_identity_first_seen_then_changed(ctx, db):
    wa_id = "15550170008"
    first = _session_with_new_identity()
    identity_changes.notice(ctx, wa_id, None, first)
    seen = contact_identity.current(db, wa_id)
    assert seen.hash == identity_hash(first.remote_identity) and seen.acknowledged

    second = _session_with_new_identity()
    identity_changes.notice(ctx, wa_id, first, second)
    changed = contact_identity.current(db, wa_id)
    assert changed.hash == identity_hash(second.remote_identity) and not changed.acknowledged
    assert changed.created_at >= seen.created_at
    # the same identity again (sessions lost, same phone) is no change
    identity_changes.notice(ctx, wa_id, None, second)
    assert contact_identity.current(db, wa_id) == changed
    assert contact_identity.acknowledge(db, wa_id, seen.hash) is False
    assert contact_identity.acknowledge(db, wa_id, changed.hash) is True
    assert contact_identity.current(db, wa_id).acknowledged

