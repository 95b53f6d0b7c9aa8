"""Accepted means never lost: work survives a killed core and lost queue messages."""

from __future__ import annotations

import signal
import uuid

import redis

from tests.e2e.test_messaging import _phone_messages, _send_text


def test_messages_accepted_while_the_core_is_dead_are_delivered_in_order(stack, api, webhook, network, new_phone,
        customer_writes):
    phone = new_phone("Grace")
    customer_writes(phone)
    stack.stop("core", signal.SIGKILL)
    bodies = [f"while down #{n} {uuid.uuid4()}" for n in range(10)]
    ids = [_send_text(api, phone, body) for body in bodies]
    # Lose every queued kick too, as if Redis had been restarted without persistence.
    redis.Redis.from_url(stack.env["WA_REDIS_URL"]).flushdb()
    stack.start("core")

    webhook.wait_for(lambda: len(_phone_messages(network, phone, "in")) >= len(ids), timeout=60)
    received = _phone_messages(network, phone, "in")
    assert [m["id"] for m in received] == ids
    assert [m["text"]["body"] for m in received] == bodies
    webhook.wait_for(lambda: all(
        any(s["status"] == "delivered" for s in webhook.statuses(message_id)) for message_id in ids
    ), timeout=60)


def test_a_core_stopped_cleanly_hands_the_network_connection_over_at_once(stack, api, webhook):
    stack.stop("core")  # SIGTERM: a deploy or Ctrl-C
    assert api("GET", "/v1/health").json()["health"]["gateway_status"] == "disconnected"
    stack.start("core")
    # The lease was released on shutdown, so the new process connects without waiting
    # for the old lease to expire (15 s).
    webhook.wait_for(lambda: api("GET", "/v1/health").json()["health"]["gateway_status"] == "connected",
                     timeout=12)


def test_messages_accepted_while_the_network_is_down_go_out_when_it_is_back(stack, api, webhook, network, new_phone,
        customer_writes):
    phone = new_phone("Kim")
    customer_writes(phone)
    first = _send_text(api, phone, "before the outage")
    webhook.wait_for(lambda: _phone_messages(network, phone, "in"))
    stack.stop("sandbox")  # the network goes away (it keeps its state on disk)
    bodies = [f"during outage #{n} {uuid.uuid4()}" for n in range(5)]
    ids = [_send_text(api, phone, body) for body in bodies]
    stack.start("sandbox")

    webhook.wait_for(lambda: len(_phone_messages(network, phone, "in")) >= 6, timeout=60)
    received = _phone_messages(network, phone, "in")
    assert [m["id"] for m in received] == [first, *ids]
    webhook.wait_for(lambda: all(
        any(s["status"] == "delivered" for s in webhook.statuses(message_id)) for message_id in ids
    ), timeout=60)
