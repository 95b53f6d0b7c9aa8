"""post_callback against a local HTTP server (no other servers needed)."""

from __future__ import annotations

import json
import socket

from services.webhook_dispatcher.delivery import USER_AGENT, post_callback

PAYLOAD = {"statuses": [{"id": "x", "status": "read", "timestamp": "1518694235"}]}


def test_200_is_ok_and_sends_the_expected_request(webhook):
    outcome = post_callback(webhook.url, PAYLOAD, callback_id="cb-1", timeout=2)
    assert outcome.ok and outcome.status == 200 and outcome.error is None
    hit = webhook.hits[0]
    assert json.loads(hit.body) == PAYLOAD
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["User-Agent"] == USER_AGENT
    assert hit.headers["X-Request-Id"] == "cb-1"


def test_other_statuses_fail(webhook):
    webhook.script = [204, 302, 500]
    for status in (204, 302, 500):
        outcome = post_callback(webhook.url, PAYLOAD, callback_id="cb", timeout=2)
        assert not outcome.ok and outcome.status == status and outcome.error == f"HTTP {status}"
    assert len(webhook.hits) == 3  # the 302 was not followed


def test_unreachable_webhook_fails_without_leaking_the_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://user:secret@127.0.0.1:{port}/cb?token=secret"
    outcome = post_callback(url, PAYLOAD, callback_id="cb", timeout=2)
    assert not outcome.ok and outcome.status is None
    assert "secret" not in outcome.error


def test_silent_webhook_times_out():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/cb"
        outcome = post_callback(url, PAYLOAD, callback_id="cb", timeout=0.3)
    assert outcome == type(outcome)(ok=False, error="timeout")
