"""``--state-file``: registrations, keys, phones, sessions and undelivered items
survive a restart."""

from __future__ import annotations

import os
import stat

import requests

from tests.common.waiting import wait_for
from tests.integration.sandbox.client import Business, ack, next_item
from tests.integration.sandbox.conftest import SandboxProcess


def test_state_survives_a_restart(tmp_path, number):
    state_file = tmp_path / "state.json"
    first = SandboxProcess("--state-file", str(state_file)).start()
    phone = "44" + number
    try:
        biz = Business(first.url, "1", number).setup()
        old_cert = biz.certificate()
        r = requests.post(first.url + "/sandbox/v1/phones", json={"wa_id": phone, "name": "Alice"}, timeout=10)
        assert r.status_code == 201
        biz.send_text(phone, "before restart")
        wait_for(lambda: requests.get(f"{first.url}/sandbox/v1/phones/{phone}/messages", timeout=10).json()["messages"])
        # Left unacknowledged on purpose: the delivered receipt must survive.
    finally:
        first.stop()
    assert state_file.exists()
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert biz.token not in state_file.read_text()

    second = SandboxProcess("--state-file", str(state_file)).start()
    try:
        biz.base = second.url
        with biz.connect() as ws:  # the old token still works
            item = next_item(ws)
            assert item["type"] == "receipt" and item["receipt"]["status"] == "delivered"
            ack(ws, item)
            # The phone kept its keys and its session with the business.
            biz.send_text(phone, "after restart")
            item = next_item(ws)
            assert item["receipt"]["status"] == "delivered"
            ack(ws, item)
        messages = requests.get(f"{second.url}/sandbox/v1/phones/{phone}/messages", timeout=10).json()["messages"]
        assert [m["text"]["body"] for m in messages] == ["before restart", "after restart"]
        # A certificate issued before the restart still verifies (same sandbox key).
        r = requests.post(
            second.url + "/network/v1/registration/code",
            json={"cc": "1", "phone_number": number, "method": "sms", "cert": old_cert},
            timeout=10,
        )
        assert r.status_code == 200, r.text
    finally:
        second.stop()
