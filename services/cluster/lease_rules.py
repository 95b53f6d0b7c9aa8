"""The pure rules of shard ownership: lease timings, and which shards a core node
claims or hands over (docs/design.md "Shard and network leases").

Every node runs :func:`plan` on the same view (the live nodes and the live leases, read
from MongoDB) once per heartbeat, so the nodes agree without talking to each other:
pinned nodes (``WA_CORE_SHARDS``) take their pinned shards only; the other nodes share
the remaining shards, each wanting floor or ceil of its share. Claims race on an
atomic MongoDB update, so a rule that lets two nodes want the same free shard is safe:
one wins, the other sees it held next time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_RENEW_SECONDS = 1.0
DEFAULT_LEASE_SECONDS = 5.0


@dataclass(frozen=True)
class Timings:
    renew_seconds: float  # how often a node renews its heartbeat and its leases
    lease_seconds: float  # how long a lease outlives its last renewal

    @property
    def lease_ms(self) -> int:
        return int(self.lease_seconds * 1000)

    @property
    def safety_seconds(self) -> float:
        """How much sooner than MongoDB a holder considers its own lease gone, so that it
        stops before any other node can take the lease (a few ms of request latency and
        clock-rate drift fit well inside)."""
        return self.renew_seconds / 2

    @property
    def takeover_bound_seconds(self) -> float:
        """The longest a dead holder's lease stays unclaimed: it expires, then the next
        heartbeat of a survivor claims it."""
        return self.lease_seconds + self.renew_seconds


def timings(env_renew: float | None, env_lease: float | None,
            heartbeat_interval: float, unhealthy_interval: float) -> Timings:
    """The lease timings: the environment's values (or the defaults, 1 s and 5 s),
    bounded by the application settings of spec §14: renewals at least every
    ``heartbeat_interval``, a lease no longer than ``unhealthy_interval``; and a lease of
    at least two renewals, so that one slow renewal does not lose it."""
    renew = min(env_renew or DEFAULT_RENEW_SECONDS, heartbeat_interval)
    lease = min(env_lease or DEFAULT_LEASE_SECONDS, unhealthy_interval)
    return Timings(renew, max(lease, 2 * renew))


@dataclass(frozen=True)
class Node:
    id: str
    pinned: frozenset[int] | None = None  # None: shares whatever shards are not pinned


@dataclass(frozen=True)
class Plan:
    claim: tuple[int, ...] = ()
    release: tuple[int, ...] = ()


@dataclass(frozen=True)
class ShardHeld:
    shard: int
    shards: int | None  # the shard count the lease belongs to (None: a lease of an older layout)
    owner: str


def plan_count_change(me: str, shards: int, held: list[ShardHeld]) -> Plan | None:
    """While any lease of another shard count than ``shards`` is held, nobody claims a
    shard: the holders hand those leases over (after their current drain), and the new
    shards are claimed once all are gone (or expired). A contact is thus never served
    by two shards at once, and its order holds across the change. None: no change is
    under way, :func:`plan` decides."""
    old = [lease for lease in held if lease.shards != shards]
    if not old:
        return None
    return Plan((), tuple(sorted(lease.shard for lease in old if lease.owner == me)))


def plan(me: str, shards: int, nodes: list[Node], holders: dict[int, str]) -> Plan:
    """What node ``me`` does now. ``nodes``: the live nodes (``me`` among them);
    ``holders``: shard -> owner of each lease of this shard count that has not expired."""
    by_id = {node.id: node for node in nodes}
    mine = sorted(shard for shard, owner in holders.items() if owner == me)
    pinned = by_id[me].pinned
    if pinned is not None:
        wanted = {shard for shard in pinned if shard < shards}
        claim = tuple(sorted(wanted - holders.keys()))
        return Plan(claim, tuple(shard for shard in mine if shard not in wanted))

    pinned_elsewhere = {shard for node in nodes if node.pinned for shard in node.pinned}
    release = [shard for shard in mine if shard in pinned_elsewhere]
    pool = [shard for shard in range(shards) if shard not in pinned_elsewhere]
    sharers = sorted(node.id for node in nodes if node.pinned is None)
    counts = {node: sum(1 for shard in pool if holders.get(shard) == node) for node in sharers}
    free = [shard for shard in pool if shard not in holders]
    ceil_share = math.ceil(len(pool) / len(sharers)) if pool else 0
    mine_in_pool = [shard for shard in mine if shard in pool]
    count = counts[me]

    if count > ceil_share:  # e.g. a node joined: hand the surplus over
        return Plan((), (*release, *mine_in_pool[ceil_share:]))
    if free:
        # The least loaded nodes claim first; the others leave the free shards to them.
        if count == min(counts.values()) and count < ceil_share:
            return Plan(tuple(free[: ceil_share - count]), tuple(release))
        return Plan((), tuple(release))
    # No free shard: when the spread is two or more, the most loaded node (ties: the
    # smallest id) gives one shard away, and the least loaded claims it next round.
    most = max(counts.values(), default=0)
    donor = min(node for node in sharers if counts[node] == most)
    if donor == me and most - min(counts.values()) >= 2:
        release.append(mine_in_pool[-1])
    return Plan((), tuple(release))
