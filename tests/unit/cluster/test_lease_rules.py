"""The shard ownership rules: every node runs them on the same view; run to a fixed point
here, they must spread the shards floor/ceil and never give one shard to two nodes."""

from __future__ import annotations

import pytest

from services.cluster.lease_rules import Node, Plan, ShardHeld, plan, plan_count_change, timings


def settle(shards: int, nodes: list[Node], holders: dict[int, str], rounds: int = 50) -> dict[int, str]:
    """Apply every node's plan, round after round, as the heartbeats would; a claim
    succeeds only on a shard nobody holds (the atomic update in MongoDB)."""
    holders = dict(holders)
    for _ in range(rounds):
        before = dict(holders)
        for node in nodes:
            decided = plan(node.id, shards, nodes, holders)
            for shard in decided.release:
                assert holders.pop(shard) == node.id
            for shard in decided.claim:
                holders.setdefault(shard, node.id)
        if holders == before:
            return holders
    raise AssertionError(f"no fixed point: {holders}")


def counts(holders: dict[int, str], nodes: list[Node]) -> list[int]:
    return sorted(sum(1 for owner in holders.values() if owner == node.id) for node in nodes)


def test_a_lone_node_takes_every_shard():
    assert plan("a", 4, [Node("a")], {}) == Plan(claim=(0, 1, 2, 3))


@pytest.mark.parametrize(("shards", "n"), [(1, 1), (1, 3), (4, 4), (4, 3), (8, 3), (32, 5), (2, 4)])
def test_shards_spread_floor_and_ceil(shards, n):
    nodes = [Node(f"n{i}") for i in range(n)]
    holders = settle(shards, nodes, {})
    assert sorted(holders) == list(range(shards))
    spread = counts(holders, nodes)
    assert spread[-1] - spread[0] <= 1


def test_a_joining_node_gets_a_share_from_the_others():
    nodes = [Node(f"n{i}") for i in range(4)]
    holders = settle(4, nodes, {})
    joined = [*nodes, Node("n9")]
    holders = settle(4, joined, holders)
    assert counts(holders, joined) == [0, 1, 1, 1, 1]  # 4 shards: one spare node
    five = [*nodes[:3], Node("n9")]  # one of the four died: the spare takes its shard
    survivors = settle(4, five, {s: o for s, o in holders.items() if o != "n3"})
    assert counts(survivors, five) == [1, 1, 1, 1]


def test_a_dead_nodes_shards_go_to_the_survivors():
    holders = {0: "a", 1: "b", 2: "c", 3: "d"}
    alive = [Node("a"), Node("b"), Node("c")]
    after = settle(4, alive, {s: o for s, o in holders.items() if o != "d"})
    assert sorted(after) == [0, 1, 2, 3]
    assert counts(after, alive) == [1, 1, 2]
    assert {s: after[s] for s in (0, 1, 2)} == {0: "a", 1: "b", 2: "c"}  # nothing else moved


def test_only_the_least_loaded_claims_a_free_shard():
    nodes = [Node("a"), Node("b")]
    assert plan("a", 4, nodes, {0: "a", 1: "a", 2: "b"}) == Plan()
    assert plan("b", 4, nodes, {0: "a", 1: "a", 2: "b"}) == Plan(claim=(3,))


def test_one_donor_at_a_time_hands_over_after_a_join():
    nodes = [Node("a"), Node("b"), Node("c")]
    holders = {0: "a", 1: "a", 2: "b", 3: "b"}  # c just joined: ceil is 2, nobody is above it
    assert plan("a", 4, nodes, holders) == Plan(release=(1,))
    assert plan("b", 4, nodes, holders) == Plan()
    assert plan("c", 4, nodes, holders) == Plan()


def test_pinned_nodes_take_only_their_shards_and_others_hand_them_over():
    pinned = Node("p", frozenset({1}))
    nodes = [Node("a"), pinned]
    holders = {0: "a", 1: "a", 2: "a", 3: "a"}
    assert plan("a", 4, nodes, holders) == Plan(release=(1,))
    assert plan("p", 4, nodes, holders) == Plan()
    after = settle(4, nodes, holders)
    assert after == {0: "a", 1: "p", 2: "a", 3: "a"}


def test_a_pinned_shard_of_a_dead_node_is_served_by_the_others():
    assert settle(2, [Node("a")], {}) == {0: "a", 1: "a"}


def test_leases_of_an_old_shard_count_are_handed_over_before_any_new_one_is_claimed():
    held = [ShardHeld(0, 2, "a"), ShardHeld(1, 2, "b")]
    # a and b each release their old lease; nobody claims a shard of the new count yet.
    assert plan_count_change("a", 4, held) == Plan((), (0,))
    assert plan_count_change("b", 4, held) == Plan((), (1,))
    assert plan_count_change("c", 4, held) == Plan((), ())
    # Once only a's old lease is left, b (which released its own) still waits.
    assert plan_count_change("b", 4, held[:1]) == Plan((), ())


def test_a_lease_of_an_older_layout_counts_as_another_shard_count():
    assert plan_count_change("a", 1, [ShardHeld(0, None, "a")]) == Plan((), (0,))


def test_no_change_under_way_leaves_the_decision_to_plan():
    assert plan_count_change("a", 2, [ShardHeld(0, 2, "a"), ShardHeld(1, 2, "b")]) is None
    assert plan_count_change("a", 2, []) is None


def test_timings_default_within_ten_seconds_and_bounded_by_the_settings():
    default = timings(None, None, heartbeat_interval=5, unhealthy_interval=30)
    assert (default.renew_seconds, default.lease_seconds) == (1.0, 5.0)
    assert default.takeover_bound_seconds <= 10
    tight = timings(None, None, heartbeat_interval=1, unhealthy_interval=3)
    assert (tight.renew_seconds, tight.lease_seconds) == (1, 3)
    # A lease always outlives two renewals, whatever the settings say.
    assert timings(4, 5, heartbeat_interval=5, unhealthy_interval=5).lease_seconds == 8
    assert timings(0.2, 1.0, heartbeat_interval=5, unhealthy_interval=30).lease_ms == 1000
