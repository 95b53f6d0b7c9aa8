"""Shard and network-connection ownership by fenced leases in MongoDB.

A core process is a node: :class:`LeaseKeeper` (a thread) registers it in ``core_nodes``
and, every ``renew_seconds``, renews its heartbeat and its leases in two round trips,
reads the live nodes and leases, and claims or marks for release what
:func:`lease_rules.plan` says. Claims and renewals are atomic updates timed by the
database server's clock; a lease whose owner stopped renewing is taken by another node
with ``epoch + 1`` (collections: services/cluster/nodes.py).

The holder's own view of a lease is stricter than MongoDB's: it counts its lease gone
``safety_seconds`` before the server would let anyone else take it, measured from the
moment its last successful renewal was *sent*. :class:`Fence` checks that view, for
free, before every externally visible step of a drain, so that an owner paused past
its lease (a stopped process, a slow disk, a partition) stops without sending or
writing anything; the drain also confirms owner and epoch in MongoDB once as it starts.

Shards are handed over only between tasks, by the Celery consumer thread
(services/core_worker/shard_consumers.py): it stops consuming the shard's queue and
then releases the lease, so a release never cuts a drain in half.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

import pymongo
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.cluster import lease_rules, local_deaths, shard_shape
from services.cluster.lease_rules import Node, Timings
from services.cluster.lease_store import LeaseStore
from services.cluster.nodes import (
    NETWORK_LEASE,
    is_shard_lease,
    live_leases,
    live_nodes,
    shard_lease_id,
    shard_of_lease,
)
from services.common.config import CoreConfig
from services.core_worker.failures import LeaseLost
from services.settings import app_settings

log = logging.getLogger(__name__)

SETTINGS_EVERY = 30  # heartbeats between two reads of heartbeat_interval / unhealthy_interval


def node_id() -> str:
    """``<hostname>:<pid>``, the node key of ``/v1/health`` (spec §11.1)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def configured_timings(db: Database, requested: CoreConfig) -> Timings:
    """The timings ``requested`` (``WA_LEASE_RENEW_SECONDS`` / ``WA_LEASE_SECONDS``)
    bounded by the settings."""
    settings = app_settings.load(db)
    return lease_rules.timings(
        requested.lease_renew_seconds, requested.lease_seconds,
        float(settings["heartbeat_interval"]), float(settings["unhealthy_interval"]),
    )


@dataclass
class _Held:
    epoch: int
    valid_until: float  # time.monotonic() past which this node counts the lease gone
    shards: int | None = None  # a shard lease: the shard count it belongs to


@dataclass(frozen=True)
class Fence:
    """One drain's claim on its shard: the lease (shard ``shard`` of ``shards``) and its
    epoch, checked before each step."""

    keeper: LeaseKeeper
    lease_id: str
    shard: int
    shards: int
    epoch: int

    def check(self) -> None:
        """No round trip: raises LeaseLost once this node's own view says the lease may be gone."""
        if not self.keeper.holds(self.lease_id, self.epoch):
            raise LeaseLost(self.shard)

    def confirm(self) -> None:
        """One round trip: owner and epoch as MongoDB has them."""
        self.check()
        with pymongo.timeout(self.keeper.timings.renew_seconds * 2):
            if not self.keeper.store.confirm(self.lease_id, self.epoch):
                raise LeaseLost(self.shard)


class LeaseKeeper(threading.Thread):
    def __init__(self, db: Database, initial_shards: int, pinned: list[int] | None = None,
                 me: str | None = None, timings: Timings | None = None,
                 requested: CoreConfig | None = None) -> None:
        """``initial_shards``: ``WA_SHARDS``, the shard count of a new database; the count
        itself is read from MongoDB at each heartbeat (services/cluster/shard_shape.py).
        ``timings``: fixed ones (tests); otherwise those ``requested`` (``config.core``)
        bounded by the settings, read again every ``SETTINGS_EVERY`` heartbeats."""
        super().__init__(name="lease-keeper", daemon=True)
        self.me = me or node_id()
        self.store = LeaseStore(db, self.me)
        self.db = db
        self.initial_shards = initial_shards
        self.shape = shard_shape.read(db, initial_shards)
        self.pinned = pinned
        self.machine = local_deaths.this_machine(self.me.rpartition(":")[0])
        self._dead: set[str] = set()  # nodes of this machine found dead at this heartbeat
        self._fixed_timings = timings
        self._requested = requested or CoreConfig()
        self.timings = timings or configured_timings(db, self._requested)
        self._held: dict[str, _Held] = {}
        self._releasing: set[int] = set()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._beats = 0

    # --- the views other threads read (no round trips) ---

    def holds(self, lease_id: str, epoch: int | None = None) -> bool:
        with self._lock:
            held = self._held.get(lease_id)
        return held is not None and (epoch is None or held.epoch == epoch) and time.monotonic() < held.valid_until

    def _shard_lease(self, shard: int) -> tuple[str, _Held] | None:
        """This node's lease on shard number ``shard`` (at most one: the leases of an old
        shard count are handed over before any of the new count is claimed)."""
        with self._lock:
            for lease_id, held in self._held.items():
                if is_shard_lease(lease_id) and shard_of_lease(lease_id) == shard:
                    return lease_id, held
        return None

    def fence(self, shard: int) -> Fence | None:
        found = self._shard_lease(shard)
        if found is None or time.monotonic() >= found[1].valid_until:
            return None
        lease_id, held = found
        return Fence(self, lease_id, shard, held.shards or self.shape.shards, held.epoch)

    def shards_of(self, shard: int) -> int | None:
        """The shard count this node holds ``shard`` under (None: not held)."""
        found = self._shard_lease(shard)
        return found[1].shards if found is not None else None

    def held_shards(self) -> list[int]:
        """The shards this node holds now, including those it is about to hand over."""
        with self._lock:
            ids = [lease_id for lease_id in self._held if is_shard_lease(lease_id)]
        return sorted(shard_of_lease(lease_id) for lease_id in ids if self.holds(lease_id))

    def consumable_shards(self) -> set[int]:
        with self._lock:
            releasing = set(self._releasing)
        return set(self.held_shards()) - releasing

    def releasing(self) -> list[int]:
        with self._lock:
            return sorted(self._releasing)

    # --- hand-overs ---

    def release_shard(self, shard: int) -> None:
        """Called by the consumer thread once it no longer consumes the shard's queue."""
        found = self._shard_lease(shard)
        if found is not None:
            self._release(found[0])
        with self._lock:
            self._releasing.discard(shard)

    def release_network(self) -> None:
        self._release(NETWORK_LEASE)

    def _release(self, lease_id: str) -> None:
        with self._lock:
            held = self._held.pop(lease_id, None)
        if held is None:
            return
        try:
            with pymongo.timeout(self.timings.renew_seconds * 2):
                self.store.release(lease_id, held.epoch)
            log.info("released %s", lease_id)
        except PyMongoError as error:  # it expires on its own
            log.warning("could not release %s: %s", lease_id, error.__class__.__name__)

    def set_network_state(self, connected: bool) -> None:
        with self._lock:
            held = self._held.get(NETWORK_LEASE)
        if held is None:
            return
        try:
            with pymongo.timeout(self.timings.renew_seconds * 2):
                self.store.set_state(NETWORK_LEASE, held.epoch, connected)
        except PyMongoError as error:
            log.warning("could not record the connection state: %s", error.__class__.__name__)

    def stop_taking(self) -> None:
        """The first step of a clean stop: renew still, claim nothing more."""
        self.stopping.set()

    def stop(self) -> None:
        """A clean stop: every lease is released at once and the node unregisters."""
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=self.timings.renew_seconds * 3)
        with self._lock:
            ids = list(self._held)
        for lease_id in ids:
            self._release(lease_id)
        try:
            with pymongo.timeout(self.timings.renew_seconds * 2):
                self.store.unregister()
        except PyMongoError:
            pass  # its heartbeat expires

    # --- the heartbeat ---

    def start(self) -> None:
        # The collections' indexes come with the database's preparation (services/migrations/),
        # which the core's context ran before building this keeper.
        self.beat()  # hold shards before the worker starts consuming
        super().start()

    def run(self) -> None:
        while not self.stopping.wait(self.timings.renew_seconds):
            try:
                self.beat()
            except PyMongoError as error:
                # Retried at the next heartbeat; the leases run out on their own if it lasts.
                log.warning("lease heartbeat failed: %s", error.__class__.__name__)
            except Exception:  # keep the heartbeat thread alive whatever happens
                log.exception("lease heartbeat failed")

    def beat(self) -> None:
        self._beats += 1
        if self._fixed_timings is None and self._beats % SETTINGS_EVERY == 0:
            self.timings = configured_timings(self.db, self._requested)
        timings = self.timings
        with pymongo.timeout(max(timings.renew_seconds, 1.0) * 2):
            sent = time.monotonic()
            self.store.heartbeat(self.pinned, timings.lease_ms, self.machine.fields())
            with self._lock:
                ids = list(self._held)
            if ids:
                self.store.renew(ids, timings.lease_ms)
            leases = live_leases(self.db)
            node_docs = live_nodes(self.db)
            self.shape = shard_shape.read(self.db, self.initial_shards)
            self._dead = local_deaths.dead_here(self.me, self.machine, node_docs)
            if self._dead:
                log.info("taking over from %s at once: gone from this machine", ", ".join(sorted(self._dead)))
                self.store.forget(self._dead)
        nodes = [Node(doc["_id"], None if doc.get("pinned") is None else frozenset(doc["pinned"]))
                 for doc in node_docs if doc["_id"] not in self._dead]
        leases = {lease_id: lease for lease_id, lease in leases.items() if lease.owner not in self._dead}
        self._confirm_renewals(leases, sent + timings.lease_seconds - timings.safety_seconds)
        if not any(node.id == self.me for node in nodes):
            return  # our own heartbeat is not visible yet: plan next time
        if self.stopping.is_set():
            return
        shards = self.shape.shards
        held = [lease_rules.ShardHeld(lease.shard, lease.shards, lease.owner)
                for lease in leases.values() if lease.shard is not None]
        decided = lease_rules.plan_count_change(self.me, shards, held) or lease_rules.plan(
            self.me, shards, nodes, {lease.shard: lease.owner for lease in held if lease.shards == shards})
        with self._lock:
            self._releasing.update(decided.release)
        for shard in decided.claim:
            self._claim(shard_lease_id(shards, shard), shard, shards)
        if NETWORK_LEASE not in leases:
            self._claim(NETWORK_LEASE, None)

    def _confirm_renewals(self, leases, valid_until: float) -> None:
        with self._lock:
            for lease_id, held in list(self._held.items()):
                lease = leases.get(lease_id)
                if lease is not None and lease.owner == self.me and lease.epoch == held.epoch:
                    held.valid_until = valid_until
                else:
                    log.warning("lost %s (epoch %s)", lease_id, held.epoch)
                    del self._held[lease_id]
                    if is_shard_lease(lease_id):
                        self._releasing.discard(shard_of_lease(lease_id))

    def _claim(self, lease_id: str, shard: int | None, shards: int | None = None) -> None:
        timings = self.timings
        with pymongo.timeout(max(timings.renew_seconds, 1.0) * 2):
            sent = time.monotonic()
            epoch = self.store.claim(lease_id, timings.lease_ms, shard, shards, self._dead)
        if epoch is None:
            return
        with self._lock:
            self._held[lease_id] = _Held(epoch, sent + timings.lease_seconds - timings.safety_seconds, shards)
        log.info("took %s (epoch %s)", lease_id, epoch)
