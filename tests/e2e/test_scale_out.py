"""Scale out by process count: four core processes on four shards (like
``honcho start -c core=4``), one SIGKILLed, a fifth added; shards move by lease and
nothing is lost, duplicated or reordered. The stack here is this module's own (its
database, its Redis database, WA_SHARDS=4), beside the one-core stack of the other tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from itertools import count
from typing import Any

import pytest

from infra.process_stack import REPO, Stack
from services.cluster.sharding import shard_for
from tests.common.waiting import wait_for
from tests.e2e.conftest import own_cluster
from tests.e2e.test_messaging import _phone_messages, _send_text

SHARDS = 4
# The default lease (5 s) plus one heartbeat (1 s) is the takeover bound; the goal is
# 10 s. The health poll and a loaded 2-core CI machine get the rest of the margin.
TAKEOVER_BOUND = 10.0
_numbers = count(1)


@pytest.fixture(scope="module")
def cluster(servers_env, tmp_path_factory):
    with own_cluster(servers_env, tmp_path_factory, "scale_out", redis_db=2, shards=SHARDS,
                     cores=4) as running:
        yield running


def node_of(stack: Stack, name: str) -> str:
    """The /v1/health node key of a started instance: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{stack.processes[name].pid}"


def health(api) -> dict[str, Any]:
    return api("GET", "/v1/health").json()["health"]


def shards_by_node(api) -> dict[str, list[int]]:
    return {node: status["shards"] for node, status in health(api).items() if isinstance(status, dict)}


def one_each(api, nodes: set[str]) -> dict[str, list[int]] | None:
    found = shards_by_node(api)
    held = sorted(shard for shards in found.values() for shard in shards)
    if held == list(range(SHARDS)) and all(len(found.get(node, [])) == 1 for node in nodes):
        return found
    return None


def phone_on_shard(network, shard: int, name: str) -> str:
    while True:
        wa_id = f"1555100{next(_numbers):04d}"
        if shard_for(wa_id, SHARDS) == shard:
            break
    answer = network("POST", "/sandbox/v1/phones", json={
        "wa_id": wa_id, "name": name, "auto_delivered": True, "auto_read": False, "auto_reply": None,
    })
    assert answer.status_code == 201, answer.text
    return wa_id


def customer_writes(cluster, phone: str) -> None:
    network, webhook = cluster["network"], cluster["webhook"]
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                     json={"to": cluster["registration"]["wa_id"], "type": "text", "text": {"body": "hi"}})
    assert answer.status_code == 201, answer.text
    message_id = answer.json()["id"]
    webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m["id"] == message_id], timeout=30)


def send_and_check(cluster, phone: str, bodies: list[str], ids: list[str] | None = None) -> None:
    """Every message arrives at the phone once, in order, and is reported delivered."""
    api, network, webhook = cluster["api"], cluster["network"], cluster["webhook"]
    ids = ids if ids is not None else [_send_text(api, phone, body) for body in bodies]
    wait_for(lambda: len(_phone_messages(network, phone, "in")) >= len(ids), timeout=60, interval=0.1,
             message=f"{len(ids)} messages at {phone}")
    received = _phone_messages(network, phone, "in")
    assert [m["id"] for m in received] == ids
    assert [m["text"]["body"] for m in received] == bodies
    webhook.wait_for(lambda: all(
        any(s["status"] == "delivered" for s in webhook.statuses(message_id)) for message_id in ids
    ), timeout=60)


def test_four_cores_own_one_shard_each(cluster):
    stack, api = cluster["stack"], cluster["api"]
    nodes = {node_of(stack, f"core.{n}") for n in range(1, 5)}
    found = wait_for(lambda: one_each(api, nodes), timeout=30, interval=0.1, message="four nodes with one shard each")
    assert set(found) == nodes
    assert {status["role"] for status in health(api).values()} == {"coreapp"}
    assert {status["gateway_status"] for status in health(api).values()} == {"connected"}


def test_a_killed_cores_shard_moves_within_the_bound_and_nothing_is_lost(cluster):
    stack, api, network = cluster["stack"], cluster["api"], cluster["network"]
    victim = "core.2"
    victim_node = node_of(stack, victim)
    shard = shards_by_node(api)[victim_node][0]
    phone = phone_on_shard(network, shard, "Ivy")
    customer_writes(cluster, phone)

    stack.stop(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    bodies = [f"during takeover #{n} {uuid.uuid4()}" for n in range(10)]
    ids = [_send_text(api, phone, body) for body in bodies]  # accepted while nobody serves the shard

    def moved() -> str | None:
        owners = [node for node, shards in shards_by_node(api).items() if shard in shards]
        return owners[0] if owners and owners[0] != victim_node else None

    new_owner = wait_for(moved, timeout=TAKEOVER_BOUND + 5, interval=0.1, message=f"shard {shard} taken over")
    took = time.monotonic() - killed_at
    print(f"\nshard {shard} moved from {victim_node} to {new_owner} in {took:.1f} s")
    assert took <= TAKEOVER_BOUND
    assert victim_node not in health(api)
    send_and_check(cluster, phone, bodies, ids)


def test_a_fifth_core_takes_a_share(cluster):
    stack, api, network = cluster["stack"], cluster["api"], cluster["network"]
    stack.start("core.5")
    nodes = {node_of(stack, name) for name in ("core.1", "core.3", "core.4", "core.5")}
    found = wait_for(lambda: one_each(api, nodes), timeout=30, interval=0.1, message="the fifth node with one shard")
    assert set(found) == nodes
    # Every shard serves its contacts, wherever it went.
    for shard in range(SHARDS):
        phone = phone_on_shard(network, shard, f"Shard{shard}")
        customer_writes(cluster, phone)
        send_and_check(cluster, phone, [f"after rebalancing {shard}.{n}" for n in range(3)])


def test_honcho_concurrency_starts_named_instances_that_join_and_leave_cleanly(cluster):
    """The real Procfile command under ``honcho start -c core=2``: two more nodes join
    the cluster, and honcho's SIGTERM takes them out at once (their leases released)."""
    stack, api = cluster["stack"], cluster["api"]
    before = set(shards_by_node(api))
    log = open(stack.run_dir / "honcho.log", "wb")  # noqa: SIM115 - closed below
    honcho = subprocess.Popen(["honcho", "start", "-f", str(REPO / "Procfile"), "-c", "core=2", "core"],
                              cwd=REPO, env=stack.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: len(shards_by_node(api)) == len(before) + 2, timeout=30, interval=0.1,
                 message="two honcho cores registered")

        def both_ready() -> bool:
            lines = (stack.run_dir / "honcho.log").read_text(errors="replace").splitlines()
            return all(any(f" {name} |" in line and "ready." in line for line in lines)
                       for name in ("core.1", "core.2"))

        wait_for(both_ready, timeout=30, interval=0.1, message="honcho's core.1 and core.2 ready")
    finally:
        honcho.send_signal(signal.SIGTERM)  # honcho forwards it to its processes
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)  # its own session: honcho and its children only
            honcho.wait(timeout=5)
        log.close()
    # A clean stop unregisters at once (honcho returns when the shells exit; the cores
    # finish their warm shutdown just after): sooner than a heartbeat could run out.
    wait_for(lambda: set(shards_by_node(api)) == before, timeout=4, interval=0.1,
             message="the honcho cores unregistered")
    found = wait_for(lambda: one_each(api, before), timeout=30, interval=0.1,
                     message="the shards back on the four nodes")
    assert sorted(s for shards in found.values() for s in shards) == list(range(SHARDS))
