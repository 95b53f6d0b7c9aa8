"""The core's restore (services/core_worker/restore.py) on real MongoDB, the network's
key upload scripted: a wrong password or an unusable backup changes nothing; a restore
publishes a new identity with the backup's token, then registers without a code."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from services.account import store as account_store
from services.backup import blob_rules
from services.cluster import shard_shape
from services.core_worker import restore
from services.core_worker.network_client import NetworkClient, NetworkError, NetworkRejected
from services.sessions import key_store
from services.settings import app_settings

FAST = blob_rules.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
TOKEN = "the-number's-network-token"
OLD_IDENTITY = {"id": "identity", "public": {"k": "old"}, "private": "b2xk"}
PAYLOAD = {
    "format": 1,
    "registration": {"cc": "1", "phone_number": "5550100", "cert": "Q0VSVA==", "vname": "Acme",
                     "wa_id": "15550100", "network_token": TOKEN},
    "sections": {"settings": {"sent_status": True}, "shards": 2, "keys": [OLD_IDENTITY]},
}


@pytest.fixture
def network(monkeypatch):
    uploads: list[dict] = []
    script = {"fail": None}

    def publish_keys(self, identity, signed_prekey, one_time_prekeys):
        if script["fail"] is not None:
            raise script["fail"]
        uploads.append({"token": self._http.headers.get("Authorization"), "identity": identity,
                        "one_time_prekeys": len(one_time_prekeys)})
        return len(one_time_prekeys)

    monkeypatch.setattr(NetworkClient, "publish_keys", publish_keys)
    monkeypatch.setattr(restore, "prime_template_cache", lambda ctx: None)
    return {"uploads": uploads, "script": script}


def _blob(password: str = "pw", payload=PAYLOAD) -> str:
    return blob_rules.seal(password, payload, FAST)


def _unchanged(ctx) -> None:
    assert account_store.load_raw(ctx.db) is None
    assert app_settings.load(ctx.db)["sent_status"] is False
    assert shard_shape.read(ctx.db, ctx.config.shards).shards == ctx.config.shards


def test_a_restore_registers_the_number_with_a_new_identity(ctx, network):
    answer = restore.restore(ctx, password="pw", data=_blob())
    assert answer == {"http_status": 200, "payload": {}}
    account = account_store.load_registered(ctx.db, ctx.master_key)
    assert account is not None and (account.wa_id, account.network_token) == ("15550100", TOKEN)
    [upload] = network["uploads"]
    assert upload["token"] == f"Bearer {TOKEN}" and upload["one_time_prekeys"] == key_store.ONE_TIME_BATCH
    identity = key_store.load_identity(ctx.db, ctx.master_key)
    assert upload["identity"] == identity.public.to_dict() != OLD_IDENTITY["public"]
    assert app_settings.load(ctx.db)["sent_status"] is True
    assert shard_shape.read(ctx.db, ctx.config.shards).shards == 2


def test_a_wrong_password_changes_nothing(ctx, network):
    answer = restore.restore(ctx, password="not it", data=_blob())
    assert answer["error"]["code"] == 1009 and "password" in answer["error"]["details"]
    assert "not it" not in answer["error"]["details"]
    assert network["uploads"] == []
    _unchanged(ctx)


@pytest.mark.parametrize("data", ["garbage", _blob(payload={"format": 1, "sections": {}}),
                                  _blob(payload={**PAYLOAD, "sections": {"settings": {"sent_status": True},
                                                                         "shards": 3}})])
def test_data_that_is_no_backup_changes_nothing(ctx, network, data):
    answer = restore.restore(ctx, password="pw", data=data)
    assert answer["error"]["code"] == 1009 and "'data'" in answer["error"]["details"]
    assert network["uploads"] == []
    _unchanged(ctx)


def test_a_registered_installation_is_refused(ctx, network):
    account_store.record_code_requested(ctx.db, cc="1", phone_number="5550199", cert="x", vname="Other")
    account_store.record_registered(ctx.db, ctx.master_key, wa_id="15550199", token="own-token")
    answer = restore.restore(ctx, password="pw", data=_blob())
    assert answer["error"]["code"] == 1004
    assert network["uploads"] == []
    assert account_store.load_registered(ctx.db, ctx.master_key).wa_id == "15550199"


@pytest.mark.parametrize(("failure", "code"), [(NetworkRejected(401, "unauthorized"), 1005),
                                                (NetworkError("down"), 1014)])
def test_a_network_that_refuses_or_fails_leaves_the_installation_unregistered(ctx, network, failure, code):
    network["script"]["fail"] = failure
    answer = restore.restore(ctx, password="pw", data=_blob())
    assert answer["error"]["code"] == code
    _unchanged(ctx)


def test_a_restore_under_way_elsewhere_is_refused_until_its_claim_lapses(ctx, network):
    assert account_store.claim_restore(ctx.db, "another core", 60)
    answer = restore.restore(ctx, password="pw", data=_blob())
    assert answer["error"] == {"code": 1004, "details": restore.UNDER_WAY}
    assert network["uploads"] == [] and not account_store.is_registered(ctx.db)

    ctx.db.account.update_one({}, {"$set": {"restoring_until": datetime.now(UTC) - timedelta(seconds=1)}})
    assert restore.restore(ctx, password="pw", data=_blob()) == {"http_status": 200, "payload": {}}
    assert account_store.is_registered(ctx.db)
    assert "restoring_by" not in account_store.load_raw(ctx.db)


def test_a_claim_on_a_pending_registration_is_released_without_losing_it(ctx, network):
    account_store.record_code_requested(ctx.db, cc="1", phone_number="5550100", cert="x", vname="Acme")
    network["script"]["fail"] = NetworkError("down")
    assert restore.restore(ctx, password="pw", data=_blob())["error"]["code"] == 1014
    doc = account_store.load_raw(ctx.db)
    assert doc["pending"]["phone_number"] == "5550100" and "restoring_by" not in doc


def test_a_code_requested_while_a_restore_ran_survives_its_failure(ctx, network, monkeypatch):
    def request_code_meanwhile(self, identity, signed_prekey, one_time_prekeys):
        account_store.record_code_requested(ctx.db, cc="1", phone_number="5550100", cert="x", vname="Acme")
        raise NetworkError("down")

    monkeypatch.setattr(NetworkClient, "publish_keys", request_code_meanwhile)
    assert restore.restore(ctx, password="pw", data=_blob())["error"]["code"] == 1014
    doc = account_store.load_raw(ctx.db)
    assert doc is not None and doc["pending"]["phone_number"] == "5550100"
    assert doc["state"] == account_store.CODE_REQUESTED and "restoring_by" not in doc


def _crafted_header(raw_header: bytes) -> str:
    data = base64.b64decode(_blob())
    end = 7 + int.from_bytes(data[5:7], "big")
    return base64.b64encode(data[:5] + len(raw_header).to_bytes(2, "big") + raw_header + data[end:]).decode()


@pytest.mark.parametrize("raw_header", [b"[" * 60000, b'{"kdf": "argon2id", "t": 1e400, "m": 1024, "p": 1, '
                                                      b'"salt": "AAAAAAAAAAAAAAAAAAAAAA=="}'])
def test_a_crafted_header_is_unreadable_data_not_a_crash(ctx, network, raw_header):
    answer = restore.restore(ctx, password="pw", data=_crafted_header(raw_header))
    assert answer["error"]["code"] == 1009 and "'data'" in answer["error"]["details"]
    _unchanged(ctx)


def test_a_value_the_live_endpoint_refuses_changes_nothing(ctx, network):
    payload = {**PAYLOAD, "sections": {"settings": {"sent_status": True, "webhooks.url": "http://10.0.0.1/"},
                                       "shards": 2}}
    answer = restore.restore(ctx, password="pw", data=_blob(payload=payload))
    assert answer["error"]["code"] == 1009 and "webhooks.url" in answer["error"]["details"]
    assert network["uploads"] == []
    _unchanged(ctx)


@pytest.mark.parametrize("claimed", ["registered", "restoring"])
def test_no_key_is_derived_before_the_restore_is_claimed(ctx, network, monkeypatch, claimed):
    data = _blob()
    if claimed == "registered":
        account_store.record_code_requested(ctx.db, cc="1", phone_number="5550199", cert="x", vname="Other")
        account_store.record_registered(ctx.db, ctx.master_key, wa_id="15550199", token="own-token")
    else:
        assert account_store.claim_restore(ctx.db, "another core", 60)
    monkeypatch.setattr(blob_rules, "_derive", lambda *args: pytest.fail("a key derived for a refused restore"))
    assert restore.restore(ctx, password="pw", data=data)["error"]["code"] == 1004
