from __future__ import annotations

import base64

from sandbox.ids import INBOUND_PREFIX, phone_message_id
from sandbox.network.directory import Directory
from sandbox.network.registration import Registry, hash_token


def test_phone_message_ids_look_like_on_prem_inbound_ids():
    for _ in range(200):
        mid = phone_message_id()
        assert mid.isalnum() and mid.startswith("ABGG") and len(mid) == 27
        raw = base64.b64decode(mid + "=")
        assert len(raw) == 20 and raw.startswith(INBOUND_PREFIX)


def test_tokens_are_stored_hashed_and_rotated():
    reg = Registry()
    code = reg.request_code("1", "5550100", "Acme", "sms")
    assert len(code) == 6 and code.isdigit()
    assert reg.verify_code("1", "5550100", "x") is None
    wa_id, token = reg.verify_code("1", "5550100", code)
    assert wa_id == "15550100"
    assert reg.authenticate(token) == wa_id
    assert token not in str(reg.to_dict())
    assert reg.to_dict()["users"][0]["token_hash"] == hash_token(token)
    # A code is single-use.
    assert reg.verify_code("1", "5550100", code) is None
    _, token2 = reg.verify_code("1", "5550100", reg.request_code("1", "5550100", "Acme", "sms"))
    assert reg.authenticate(token) is None
    assert reg.authenticate(token2) == wa_id
    again = Registry()
    again.load(reg.to_dict())
    assert again.authenticate(token2) == wa_id and again.authenticate(token) is None
    assert again.authenticate("") is None


def test_directory_hands_out_each_one_time_prekey_once():
    d = Directory()
    d.publish("1", {"dh": "a"}, {"key_id": 1}, [{"key_id": 7, "public": "x"}, {"key_id": 8, "public": "y"}])
    assert d.count("1") == 2
    first = d.take("1")
    second = d.take("1")
    third = d.take("1")
    assert first and second and third
    assert first[1] == {"key_id": 7, "public": "x"}
    assert second[1] == {"key_id": 8, "public": "y"}
    assert third[1] is None and third[0].signed_prekey == {"key_id": 1}
    assert d.take("2") is None
    assert d.add_one_time("1", [{"key_id": 9, "public": "z"}]) == 1
    again = Directory()
    again.load(d.to_dict())
    assert again.count("1") == 1
