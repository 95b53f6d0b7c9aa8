"""Changing the shard count on a running system (spec §9.5): two core processes on one
shard, then 4, then 2, while every phone keeps receiving and writing. Nothing is lost,
nothing arrives twice, each phone gets its messages in the order they were accepted, and
the new shards end up held, one set per count. The stack is this module's own (its
database and Redis database), beside the one-core stack of the other tests.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from tests.common.waiting import wait_for
from tests.e2e.conftest import BUSINESS, own_cluster
from tests.e2e.test_messaging import _phone_messages, _send_text
from tests.e2e.test_scale_out import shards_by_node

PHONES = 4
OUTBOUND_PER_PHONE = 24
INBOUND_PER_PHONE = 12
# The old count's leases are handed over after their current drain, then the new ones
# are claimed at the next heartbeat: a few seconds, bounded here with a loaded machine's margin.
CHANGE_BOUND = 15.0


@pytest.fixture(scope="module")
def cluster(servers_env, tmp_path_factory):
    with own_cluster(servers_env, tmp_path_factory, "shard_count", redis_db=3, shards=1,
                     cores=2) as running:
        yield running


def set_shards(api, shards: int, **overrides: Any):
    return api("POST", "/v1/account/shards", json={
        "cc": BUSINESS["cc"], "phone_number": BUSINESS["phone_number"], "shards": shards, **overrides})


def held_under(api, shards: int) -> bool:
    held = sorted(shard for owned in shards_by_node(api).values() for shard in owned)
    return held == list(range(shards))


def new_phone(network, n: int) -> str:
    wa_id = f"1555200{n:04d}"
    answer = network("POST", "/sandbox/v1/phones", json={
        "wa_id": wa_id, "name": f"Resize{n}", "auto_delivered": True, "auto_read": False, "auto_reply": None})
    assert answer.status_code == 201, answer.text
    return wa_id


def phone_writes(network, phone: str, to: str, body: str) -> str:
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                     json={"to": to, "type": "text", "text": {"body": body}})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_a_bad_request_changes_nothing(cluster):
    api = cluster["api"]
    for body, code in (({"shards": 3}, 1009), ({"shards": True}, 1009), ({"shards": "2"}, 1009),
                       ({"shards": 4, "phone_number": "6315550001"}, 1009), ({"shards": None}, 1008)):
        answer = set_shards(api, **{"shards": None, **body})
        assert (answer.status_code, answer.json()["errors"][0]["code"]) == (400, code), body
    assert api("GET", "/v1/account/shards").json()["account"] == {"shards": 1}


def test_the_shard_count_changes_under_load_without_loss_duplicate_or_reordering(cluster):
    api, network, webhook = cluster["api"], cluster["network"], cluster["webhook"]
    business = cluster["registration"]["wa_id"]
    phones = [new_phone(network, n) for n in range(PHONES)]
    for phone in phones:  # each opens its 24-hour window
        first = phone_writes(network, phone, business, "hello")
        webhook.wait_for(lambda first=first: any(m["id"] == first for m, _ in webhook.messages()), timeout=30)

    sent: dict[str, list[tuple[str, str]]] = {phone: [] for phone in phones}
    written: dict[str, list[str]] = {phone: [] for phone in phones}
    progress = threading.Semaphore(0)

    def business_sends(phone: str) -> None:
        for n in range(OUTBOUND_PER_PHONE):
            body = f"to {phone} #{n} {uuid.uuid4()}"
            sent[phone].append((_send_text(api, phone, body), body))
            progress.release()
            time.sleep(0.05)  # the burst's pace, not a wait

    def phone_sends(phone: str) -> None:
        for n in range(INBOUND_PER_PHONE):
            written[phone].append(phone_writes(network, phone, business, f"from {phone} #{n}"))
            time.sleep(0.1)  # the burst's pace, not a wait

    workers = [threading.Thread(target=business_sends, args=(phone,)) for phone in phones]
    workers += [threading.Thread(target=phone_sends, args=(phone,)) for phone in phones]
    for worker in workers:
        worker.start()
    timings = {}
    for shards, after in ((4, PHONES * 6), (2, PHONES * 6)):
        for _ in range(after):  # mid-burst
            progress.acquire()
        started = time.monotonic()
        answer = set_shards(api, shards)
        assert answer.status_code == 201, answer.text
        assert api("GET", "/v1/account/shards").json()["account"] == {"shards": shards}
        wait_for(lambda shards=shards: held_under(api, shards), timeout=CHANGE_BOUND, interval=0.1,
                 message=f"the {shards} shards held")
        timings[shards] = time.monotonic() - started
    for worker in workers:
        worker.join(timeout=120)
    print(f"\nshard count 1 -> 4 held in {timings[4]:.1f} s, 4 -> 2 in {timings[2]:.1f} s")

    for phone in phones:
        ids = [message_id for message_id, _ in sent[phone]]
        wait_for(lambda phone=phone, ids=ids: len(_phone_messages(network, phone, "in")) >= len(ids), timeout=60,
                 interval=0.1, message=f"{len(ids)} messages at {phone}")
        received = _phone_messages(network, phone, "in")
        assert [m["id"] for m in received] == ids  # each once, in the order accepted
        assert [m["text"]["body"] for m in received] == [body for _, body in sent[phone]]
    expected = {message_id for ids in written.values() for message_id in ids}
    webhook.wait_for(lambda: expected <= {m["id"] for m, _ in webhook.messages()}, timeout=60)
    arrived = [m["id"] for m, _ in webhook.messages() if m["id"] in expected]
    assert len(arrived) == len(expected)  # no inbound message twice
    every_id = [message_id for ids in sent.values() for message_id, _ in ids]
    webhook.wait_for(lambda: all(any(s["status"] == "delivered" for s in webhook.statuses(message_id))
                                 for message_id in every_id), timeout=60)
