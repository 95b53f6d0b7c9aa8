"""Backup on one installation, restore on a fresh one with its own database, Redis
database, master key and processes, on the same sandbox network (spec §10.1).

The restored number connects without ``/v1/account`` being called, keeps its two-step
PIN, and has a new identity:
the phone that talked to it before sees a security-code change, and messages flow both
ways again. A wrong password or a user that is not the admin changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.process_stack import Stack
from infra.redis_server import with_db
from tests.common.factories import issue_token
from tests.common.health import is_connected
from tests.common.waiting import wait_for
from tests.e2e.conftest import BUSINESS, api_client, listen_for_callbacks, log_in_first, own_cluster
from tests.e2e.test_messaging import _phone_messages
from tests.e2e.test_profile import shown_to

PASSWORD = "backup passphrase 7!"
PIN = "246810"
NS = "backup_ns"
TOKEN_TTL = 3600


@pytest.fixture(scope="module")
def source(servers_env, tmp_path_factory) -> Iterator[dict[str, Any]]:
    with own_cluster(servers_env, tmp_path_factory, "backup_source", redis_db=11, shards=1, cores=1) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def target(servers_env, tmp_path_factory, source) -> Iterator[dict[str, Any]]:
    """A fresh installation, never registered: only the network is the source's."""
    network_url = source["stack"].network_url
    running = Stack.create(tmp_path_factory.mktemp("backup-target"), servers_env)
    running.env.update({"WA_MONGO_DB": "whatsapp_backup_target",
                        "WA_REDIS_URL": with_db(servers_env["WA_REDIS_URL"], 12),
                        "WA_SHARDS": "1", "WA_NETWORK_URL": network_url,
                        # The restored webhook URL is checked against this installation's
                        # egress policy, as a PATCH would be: it must allow the source's hook.
                        "WA_EGRESS_ALLOW": ",".join((running.env["WA_EGRESS_ALLOW"],
                                                     source["stack"].env["WA_EGRESS_ALLOW"]))})
    running.network_url = network_url
    try:
        running.start("gateway", "dispatcher", "core")
        api = api_client(running, log_in_first(running)["with_new_password"].json()["users"][0]["token"])
        yield {"stack": running, "api": api}
    finally:
        running.stop_all()


def _mongo_db(stack: Stack):
    from services.common.config import Config
    from services.common.mongo import get_db

    return get_db(Config.from_env(stack.env))


def _user(stack: Stack):
    return api_client(stack, issue_token(_mongo_db(stack), TOKEN_TTL, username="operator", role="user"))


def _backup(api) -> str:
    answer = api("POST", "/v1/settings/backup", json={"password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["settings"]["data"]


def _unregistered(api) -> bool:
    return "wa_id" not in api("GET", "/v1/settings/application").json()["settings"]["application"]


def test_only_the_admin_may_back_up_or_restore(source, target):
    for stack in (source["stack"], target["stack"]):
        user = _user(stack)
        assert user("POST", "/v1/settings/backup", json={"password": PASSWORD}).status_code == 403
        refused = user("POST", "/v1/settings/restore", json={"password": PASSWORD, "data": "x"})
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == 1005
    assert _unregistered(target["api"])


def test_nothing_to_back_up_on_an_unregistered_installation(target):
    answer = target["api"]("POST", "/v1/settings/backup", json={"password": PASSWORD})
    assert answer.status_code == 500 and answer.json()["errors"][0]["code"] == 1011


def test_a_wrong_password_is_refused_and_changes_nothing(source, target):
    data = _backup(source["api"])
    api = target["api"]
    before = api("GET", "/v1/settings/application").json()["settings"]
    answer = api("POST", "/v1/settings/restore", json={"password": "not the password", "data": data})
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == 1009
    assert "not the password" not in answer.text
    assert api("GET", "/v1/settings/application").json()["settings"] == before
    assert _unregistered(api)


def test_a_restored_number_talks_again_with_a_new_identity_without_registering(source, target):
    network, wa_id = source["network"], source["registration"]["wa_id"]
    phone = f"1555{uuid.uuid4().int % 10**7:07d}"
    assert network("POST", "/sandbox/v1/phones", json={"wa_id": phone, "name": "Olga"}).status_code == 201
    greeting = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                       json={"to": wa_id, "type": "text", "text": {"body": "hi before"}}).json()["id"]
    source["webhook"].wait_for(lambda: [m for m, _ in source["webhook"].messages() if m["id"] == greeting])
    template = f"welcome_{uuid.uuid4().hex[:8]}"
    created = network("POST", "/sandbox/v1/templates", json={
        "namespace": NS, "name": template, "language": "en_US", "category": "UTILITY", "status": "APPROVED",
        "components": [{"type": "BODY", "text": "We are back"}]})
    assert created.status_code == 201, created.text
    assert source["api"]("POST", "/v1/settings/account/two-step", json={"pin": PIN}).status_code == 200
    business = {"vertical": "Education", "websites": ["https://school.example"]}
    assert source["api"]("POST", "/v1/settings/business/profile", json=business).status_code == 200
    wait_for(lambda: (shown_to(network, phone, wa_id)["business_profile"] or {}).get("vertical") == "Education",
             timeout=30, interval=0.2, message="the source's profile reached the network")
    data = _backup(source["api"])
    source_settings = source["api"]("GET", "/v1/settings/application").json()["settings"]["application"]

    # One number, one connected client: the source goes away before the restore.
    source["stack"].stop("core.1")
    api = target["api"]
    restored = api("POST", "/v1/settings/restore", json={"password": PASSWORD, "data": data})
    assert restored.status_code == 200, restored.text
    wait_for(lambda: is_connected(api("GET", "/v1/health").json()["health"]), timeout=30, interval=0.2,
             message="the restored number connected to the network")
    assert api("GET", "/v1/settings/application").json()["settings"]["application"] == source_settings
    again = api("POST", "/v1/settings/restore", json={"password": PASSWORD, "data": data})
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == 1004
    # The two-step PIN came along: the shard count is guarded by it here too.
    shards = {"cc": BUSINESS["cc"], "phone_number": BUSINESS["phone_number"], "shards": 1}
    wrong_pin = api("POST", "/v1/account/shards", json={**shards, "pin": "000000"})
    assert wrong_pin.status_code == 403 and wrong_pin.json()["errors"][0]["code"] == 1005
    assert api("POST", "/v1/account/shards", json={**shards, "pin": PIN}).status_code == 201
    # The profile came along as the network had it: a change there adds to it, not replaces it.
    restored_profile = api("GET", "/v1/settings/business/profile").json()["settings"]["business"]["profile"]
    assert {key: restored_profile[key] for key in business} == business
    assert api("PATCH", "/v1/settings/profile/about", json={"text": "Back again"}).status_code == 200
    seen = wait_for(lambda: (shown := shown_to(network, phone, wa_id))["about"] == "Back again" and shown,
                    timeout=30, interval=0.2, message="the restored installation's profile change was published")
    assert seen["business_profile"]["vertical"] == "Education"

    webhook = listen_for_callbacks(api, target["stack"])
    try:
        sent = api("POST", "/v1/messages", json={"to": phone, "type": "template", "template": {
            "namespace": NS, "name": template, "language": {"policy": "deterministic", "code": "en_US"},
            "components": []}})
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["messages"][0]["id"]
        webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id])
        changes = network("GET", f"/sandbox/v1/phones/{phone}").json()["security_code_changes"]
        assert [change["peer"] for change in changes] == [wa_id]

        reply = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                        json={"to": wa_id, "type": "text", "text": {"body": "welcome back"}})
        assert reply.status_code == 201, reply.text
        received = webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m["id"] == reply.json()["id"]])
        assert received[0]["from"] == phone and received[0]["text"]["body"] == "welcome back"
        webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "delivered"])
    finally:
        webhook.close()
