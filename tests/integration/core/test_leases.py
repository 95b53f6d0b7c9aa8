"""Shard and network leases on the test run's real MongoDB: claims, renewals, takeover
with a new epoch, clean release, and the fence of a paused owner."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time

import pytest

from services.cluster.lease_rules import Timings
from services.cluster.nodes import NETWORK_LEASE, live_leases, live_nodes
from services.core_worker.failures import LeaseLost
from services.core_worker.leases import LeaseKeeper

FAST = Timings(renew_seconds=0.2, lease_seconds=1.0)


def keeper(db, name: str, shards: int = 4, pinned=None) -> LeaseKeeper:
    node = LeaseKeeper(db, shards, pinned, me=f"host:{name}", timings=FAST)
    return node


def owners(db) -> dict[int, str]:
    return {lease.shard: lease.owner for lease in live_leases(db).values() if lease.shard is not None}


def hand_over(node: LeaseKeeper) -> None:
    """What the consumer thread does between two tasks."""
    for shard in node.releasing():
        node.release_shard(shard)


def test_a_lone_node_takes_every_shard_and_the_network(db):
    a = keeper(db, "a")
    a.beat()  # registers; plans once its heartbeat is visible
    assert owners(db) == {0: "host:a", 1: "host:a", 2: "host:a", 3: "host:a"}
    assert a.held_shards() == [0, 1, 2, 3]
    assert a.holds(NETWORK_LEASE)
    assert [doc["_id"] for doc in live_nodes(db)] == ["host:a"]


def test_nodes_share_the_shards_and_a_joiner_gets_its_share(db):
    a, b = keeper(db, "a"), keeper(db, "b")
    a.beat()
    for _ in range(4):
        for node in (a, b):
            node.beat()
            hand_over(node)
    assert len(a.held_shards()) == 2 and len(b.held_shards()) == 2
    assert sorted(a.held_shards() + b.held_shards()) == [0, 1, 2, 3]


def test_a_dead_owners_leases_are_taken_with_a_new_epoch_and_its_fence_fails(db):
    a, b = keeper(db, "a", shards=1), keeper(db, "b", shards=1)
    a.beat()
    fence = a.fence(0)
    assert fence is not None
    fence.confirm()
    # a stops renewing (SIGKILL, or a long pause): b takes over once the lease ran out.
    b.beat()
    assert b.held_shards() == []
    time.sleep(FAST.lease_seconds + 0.1)  # not a poll: the lease running out is what is tested
    b.beat()
    assert b.held_shards() == [0]
    assert b.fence(0).epoch == fence.epoch + 1
    assert b.holds(NETWORK_LEASE)
    # a wakes up: its own view already counts the lease gone, and MongoDB agrees.
    with pytest.raises(LeaseLost):
        fence.check()
    with pytest.raises(LeaseLost):
        fence.confirm()
    a.beat()  # its renewal finds another owner: dropped
    assert a.held_shards() == [] and not a.holds(NETWORK_LEASE)


def test_the_fence_stops_a_paused_owner_before_mongodb_lets_another_take_over(db):
    a = keeper(db, "a", shards=1)
    a.beat()
    fence = a.fence(0)
    # Not a poll: the fence must fail inside this window, before the lease runs out.
    time.sleep(FAST.lease_seconds - FAST.safety_seconds + 0.05)
    # Not renewed for too long: not yet takeable in MongoDB, but no longer ours to use.
    with pytest.raises(LeaseLost):
        fence.check()
    assert owners(db) == {0: "host:a"}


def test_a_clean_stop_releases_at_once(db):
    a, b = keeper(db, "a", shards=2), keeper(db, "b", shards=2)
    a.beat()
    a.set_network_state(True)
    assert live_leases(db)[NETWORK_LEASE].connected
    a.stop()
    assert owners(db) == {} and NETWORK_LEASE not in live_leases(db)
    assert live_nodes(db) == []
    b.beat()
    b.beat()
    assert b.held_shards() == [0, 1] and b.holds(NETWORK_LEASE)
    assert not live_leases(db)[NETWORK_LEASE].connected


def test_a_pinned_node_gets_its_shard_from_the_others(db):
    a, p = keeper(db, "a"), keeper(db, "p", pinned=[2])
    a.beat()
    p.beat()
    assert p.held_shards() == []  # a holds it
    a.beat()
    assert a.releasing() == [2]
    assert a.consumable_shards() == {0, 1, 3}  # stops consuming it first
    hand_over(a)
    p.beat()
    assert owners(db) == {0: "host:a", 1: "host:a", 2: "host:p", 3: "host:a"}


def test_the_heartbeat_publishes_the_nodes_own_counters(db):
    from services.stats import counters as stats_counters

    stats_counters.COUNTERS.reset()
    try:
        stats_counters.inc("messages_sent", {"type": "text"}, 2)
        stats_counters.inc("web_requests", {"state": "success"})  # a gateway metric: not the core's to publish
        a = keeper(db, "a")
        a.beat()
        assert db.core_nodes.find_one({"_id": "host:a"})["stats"] == {
            "messages_sent": [{"labels": {"type": "text"}, "value": 2}]}
        stats_counters.inc("messages_sent", {"type": "text"})
        a.beat()
        assert db.core_nodes.find_one({"_id": "host:a"})["stats"]["messages_sent"][0]["value"] == 3
    finally:
        stats_counters.COUNTERS.reset()


SLOW = Timings(renew_seconds=0.2, lease_seconds=30.0)  # expiry cannot explain a takeover here


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_node_of_this_machine_whose_process_is_gone_is_taken_over_at_once(db):
    host = socket.gethostname()
    dead = LeaseKeeper(db, 2, me=f"{host}:{dead_pid()}", timings=SLOW)
    dead.beat()
    assert sorted(owners(db)) == [0, 1] and live_leases(db)[NETWORK_LEASE].owner == dead.me
    heir = LeaseKeeper(db, 2, me=f"{host}:{os.getpid()}", timings=SLOW)  # this (live) process
    heir.beat()
    heir.beat()
    assert owners(db) == {0: heir.me, 1: heir.me}
    assert live_leases(db)[NETWORK_LEASE].owner == heir.me
    assert dead.me not in {node["_id"] for node in live_nodes(db)}  # forgotten by everyone


def test_a_node_of_another_machine_keeps_its_leases_until_they_run_out(db):
    host = socket.gethostname()
    other = LeaseKeeper(db, 1, me=f"{host}:{dead_pid()}", timings=SLOW)
    other.machine = dataclasses.replace(other.machine, boot_id="another-boot")  # same name, another machine
    other.beat()
    me = LeaseKeeper(db, 1, me=f"{host}:{os.getpid()}", timings=SLOW)
    me.beat()
    me.beat()
    assert owners(db) == {0: other.me}
