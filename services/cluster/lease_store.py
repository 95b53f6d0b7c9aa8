"""The MongoDB side of shard and network-connection ownership: a node's registration
and heartbeat in ``core_nodes``, and fenced claims, renewals and releases of ``leases``
(the documents: services/cluster/nodes.py). Every write here is one atomic update timed
by the database server's clock. The core's lease keeper (services/core_worker/leases.py)
decides what to claim and release, by ``lease_rules``.
"""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.cluster.nodes import LEASES, NODES
from services.stats import counters as stats_counters


class LeaseStore:
    """The MongoDB side: every write here is one atomic update on the server's clock."""

    def __init__(self, db: Database, me: str) -> None:
        self.nodes, self.leases, self.me = db[NODES], db[LEASES], me
        self.db = db

    def heartbeat(self, pinned: list[int] | None, lease_ms: int, machine: dict | None = None) -> None:
        self.nodes.update_one({"_id": self.me}, [{"$set": {
            "host": self.me.rpartition(":")[0], "pinned": pinned, **(machine or {}),
            "started_at": {"$ifNull": ["$started_at", "$$NOW"]},
            "heartbeat_at": "$$NOW", "expires_at": {"$add": ["$$NOW", lease_ms]},
            "stats": {"$literal": stats_counters.COUNTERS.snapshot("core")},  # /v1/stats/app, at no extra round trip
        }}], upsert=True)

    def unregister(self) -> None:
        self.nodes.delete_one({"_id": self.me})

    def forget(self, dead: set[str]) -> None:
        """Nodes known dead (services/cluster/local_deaths.py): out of everyone's plan."""
        self.nodes.delete_many({"_id": {"$in": sorted(dead)}})

    def claim(self, lease_id: str, lease_ms: int, shard: int | None, shards: int | None = None,
              dead: set[str] | None = None) -> int | None:
        """The epoch this node holds the lease with, when it was free, expired or held by
        one of the ``dead`` nodes (or already ours); None when another node holds it. One
        upsert: whether the lease is free is decided inside the update, on the server's clock."""
        free = {"$or": [{"$eq": [{"$ifNull": ["$owner", None]}, None]}, {"$lte": ["$expires_at", "$$NOW"]},
                        {"$in": [{"$ifNull": ["$owner", None]}, sorted(dead or ())]}]}

        def taken(value, otherwise):
            return {"$cond": ["$_free", value, otherwise]}

        fields = {
            "kind": "network" if shard is None else "shard", "owner": taken(self.me, "$owner"),
            "epoch": taken({"$add": [{"$ifNull": ["$epoch", 0]}, 1]}, "$epoch"),
            "expires_at": taken({"$add": ["$$NOW", lease_ms]}, "$expires_at"),
            "taken_at": taken("$$NOW", "$taken_at"),
        }
        if shard is None:
            fields.update(connected=taken(False, "$connected"), state_at=taken("$$NOW", "$state_at"))
        else:
            fields.update(shard=shard, shards=shards)
        try:
            doc = self.leases.find_one_and_update(
                {"_id": lease_id}, [{"$set": {"_free": free}}, {"$set": fields}, {"$unset": "_free"}],
                upsert=True, return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # two first claims at once: the other node's insert won
            return None
        return int(doc["epoch"]) if doc is not None and doc.get("owner") == self.me else None

    def renew(self, lease_ids: list[str], lease_ms: int) -> None:
        # owner == me implies the epoch is the one this node claimed: any other claim
        # would have changed the owner.
        self.leases.update_many({"_id": {"$in": lease_ids}, "owner": self.me},
                                [{"$set": {"expires_at": {"$add": ["$$NOW", lease_ms]}}}])

    def release(self, lease_id: str, epoch: int) -> None:
        self.leases.update_one({"_id": lease_id, "owner": self.me, "epoch": epoch},
                               [{"$set": {"owner": None, "expires_at": "$$NOW", "connected": False,
                                          "state_at": "$$NOW"}}])

    def confirm(self, lease_id: str, epoch: int) -> bool:
        return self.leases.count_documents(
            {"_id": lease_id, "owner": self.me, "epoch": epoch, "$expr": {"$gt": ["$expires_at", "$$NOW"]}},
            limit=1,
        ) == 1

    def set_state(self, lease_id: str, epoch: int, connected: bool) -> None:
        self.leases.update_one({"_id": lease_id, "owner": self.me, "epoch": epoch},
                               [{"$set": {"connected": connected, "state_at": "$$NOW"}}])
