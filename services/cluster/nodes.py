"""Who runs what: the core nodes and their leases, as stored in MongoDB.

Written by the core (services/core_worker/leases.py), read by the core's planner and by
the gateway's ``/v1/health``. "Live" is decided by the database server's clock
(``$$NOW``), never by the reader's, so nodes on machines whose clocks differ agree.

- ``core_nodes``: ``{_id: "<hostname>:<pid>", host, pinned: [shards] | null,
  started_at, heartbeat_at, expires_at}``; live while ``expires_at`` is in the future.
- ``leases``: ``{_id: "shard:<count>/<n>" | "network", kind: "shard" | "network",
  shard: n, shards: count, owner: node id | null, epoch, expires_at, taken_at}``; a shard
  lease is shard ``n`` of ``count`` shards (services/cluster/shard_shape.py), so the leases
  of an old shard count stay apart from the new ones until they are handed over. The
  network lease also carries ``connected`` and ``state_at``. A lease is held while
  ``owner`` is set and ``expires_at`` is in the future; every new owner increments
  ``epoch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

NODES = "core_nodes"
LEASES = "leases"
NETWORK_LEASE = "network"

_LIVE = {"$expr": {"$gt": ["$expires_at", "$$NOW"]}}


def shard_lease_id(shards: int, shard: int) -> str:
    return f"shard:{shards}/{shard}"


def is_shard_lease(lease_id: str) -> bool:
    return lease_id.startswith("shard:")


def shard_of_lease(lease_id: str) -> int:
    """``n`` of ``shard:<count>/<n>`` (or of an older ``shard:<n>``)."""
    return int(lease_id.rpartition("/")[2].rpartition(":")[2])


@dataclass(frozen=True)
class Lease:
    id: str
    owner: str
    epoch: int
    shard: int | None
    connected: bool
    shards: int | None = None  # the shard count a shard lease belongs to (None: an older lease)


def live_nodes(db: Database) -> list[dict[str, Any]]:
    """The core nodes whose heartbeat has not expired, by id."""
    return list(db[NODES].find(_LIVE).sort("_id", 1))


def live_leases(db: Database) -> dict[str, Lease]:
    """The leases held now, by lease id (a released or expired lease is not among them)."""
    found = db[LEASES].find({"owner": {"$ne": None}, **_LIVE})
    return {
        doc["_id"]: Lease(doc["_id"], doc["owner"], int(doc["epoch"]), doc.get("shard"), bool(doc.get("connected")),
                          doc.get("shards"))
        for doc in found
    }


def ensure_indexes(db: Database) -> None:
    # Nodes that died without unregistering are forgotten after a day.
    db[NODES].create_index("expires_at", expireAfterSeconds=24 * 3600)
