"""``POST /network/v1/contacts``: which numbers are WhatsApp users."""

from __future__ import annotations

import requests

from tests.integration.sandbox.client import Business
from tests.integration.sandbox.test_network import make_phone


def test_phones_and_businesses_are_users_other_numbers_are_not(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    other = Business(sandbox.url, "1", str(int(number) + 7000)).setup()
    phone = "49" + number
    make_phone(sandbox.url, phone)
    numbers = [phone, other.wa_id, "19999999999", phone]
    r = biz.post("/network/v1/contacts", {"numbers": numbers})
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [
        {"number": phone, "wa_id": phone},
        {"number": other.wa_id, "wa_id": other.wa_id},
        {"number": "19999999999", "wa_id": None},
        {"number": phone, "wa_id": phone},
    ]}


def test_bad_requests_and_authentication(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    for body in ({}, {"numbers": []}, {"numbers": "15550001111"}, {"numbers": ["+15550001111"]},
                 {"numbers": [15550001111]}, {"numbers": ["1234"]}, {"numbers": ["1" * 21]},
                 {"numbers": ["15550001111"] * 1001}):
        r = biz.post("/network/v1/contacts", body)
        assert r.status_code == 400, body
        assert r.json()["error"] == "bad_request"
    assert biz.post("/network/v1/contacts", {"numbers": ["15550001111"] * 1000}).status_code == 200
    r = requests.post(sandbox.url + "/network/v1/contacts", json={"numbers": ["15550001111"]},
                      headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401
