"""post_callback against a local HTTP server (no other servers needed)."""

from __future__ import annotations

import json
import socket
import time

import pytest

from services.webhook_dispatcher.delivery import USER_AGENT, post_callback
from tests.common.listeners import CountingListener, TricklingServer

PAYLOAD = {"statuses": [{"id": "x", "status": "read", "timestamp": "1518694235"}]}


pytestmark = pytest.mark.usefixtures("loopback_allowed")

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


def test_a_webhook_the_egress_policy_refuses_is_never_connected_to():
    forbidden = CountingListener("127.0.0.2")
    ipv6 = CountingListener("::1")
    try:
        for url in (forbidden.url("/cb"), ipv6.url("/cb"),
                    "http://169.254.169.254/latest/meta-data/", f"http://[::ffff:127.0.0.2]:{forbidden.port}/cb"):
            outcome = post_callback(url, PAYLOAD, callback_id="cb", timeout=2)
            assert outcome == type(outcome)(ok=False, error="egress refused"), url
        time.sleep(0.2)
        assert forbidden.connections == 0 and ipv6.connections == 0
    finally:
        forbidden.close()
        ipv6.close()


def test_the_timeout_is_the_total_of_the_attempt_not_a_per_read_one():
    """A webhook that answers a byte every 0.3 s never lets a read time out; the total does."""
    trickle = TricklingServer(length=100, interval=0.3)
    try:
        started = time.monotonic()
        outcome = post_callback(trickle.url, PAYLOAD, callback_id="cb", timeout=1.0)
        took = time.monotonic() - started
    finally:
        trickle.close()
    # The status line (200) came in time: the drain of the body is what was cut.
    assert outcome.ok and took < 1.5, (outcome, took)


def test_a_webhook_slow_to_answer_is_a_timeout_at_the_total():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/cb"
        started = time.monotonic()
        outcome = post_callback(url, PAYLOAD, callback_id="cb", timeout=0.8)
    assert outcome == type(outcome)(ok=False, error="timeout") and time.monotonic() - started < 1.3
