"""MongoDB access: one client per process and timeout profile. Each collection's indexes
are declared by the domain package that owns it (services/migrations/indexes.py lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pymongo
from pymongo import WriteConcern
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from services.common.config import Config

DUPLICATE_KEY = 11000

@dataclass(frozen=True)
class Timeouts:
    """How long one client waits for MongoDB, in milliseconds (None: pymongo's default)."""

    server_selection_ms: int
    connect_ms: int | None = None
    operation_ms: int | None = None  # pymongo's timeoutMS: one deadline per operation, retries included
    heartbeat_ms: int | None = None

    def client_options(self) -> dict[str, Any]:
        options = {
            "serverSelectionTimeoutMS": self.server_selection_ms,
            "connectTimeoutMS": self.connect_ms,
            "timeoutMS": self.operation_ms,
            "heartbeatFrequencyMS": self.heartbeat_ms,
        }
        return {name: value for name, value in options.items() if value is not None}


SERVICE_TIMEOUTS = Timeouts(server_selection_ms=10_000)
"""Workers (core, dispatcher, media): their batches may take long, and waiting out a short
MongoDB restart is better for them than failing the work and retrying it."""

REQUEST_TIMEOUTS = Timeouts(server_selection_ms=800, connect_ms=700, operation_ms=1_000, heartbeat_ms=1_000)
"""The gateway: while MongoDB is unreachable (down, or up but not answering) every
request fails within 2 s (measured: 1.5 s at worst; pymongo looks at its deadlines in
500 ms steps, so the 1 s operation deadline can be overrun by up to half a second) with
a 503 instead of hanging. A server that comes back is seen within about half a second:
a request waiting in server selection asks the monitor to check at once (at most every
500 ms), and the 1 s heartbeat notices the loss and the return even when no request is
waiting. An operation (a journaled insert included) normally takes milliseconds."""


CONSISTENCY = {
    "w": "majority",
    "journal": True,
    "readConcernLevel": "majority",
    "retryWrites": True,
    "retryReads": True,
}
"""What "accepted" means on a replica set, for every client of every process.

A write is acknowledged once a majority of the members have it in their journal, so the
election that follows the loss of the primary cannot roll it back: a message answered 201
exists on whichever member becomes primary. Reads see only majority-committed data, so a
read never returns what a failover later undoes, and after a failover no process reads
an older state than one it already saw (it could only have seen majority-committed data).
Causally consistent sessions were the alternative; they would have to be threaded
through every call, and primary reads with majority on both sides give the same for
this system, whose reads all go to the primary.

Retryable writes and reads (pymongo's defaults, stated here because the failover relies
on them) resend an operation once when the primary went away during it: an insert whose
acknowledgement was lost is not applied twice. They override the same options of the URL."""


@lru_cache(maxsize=8)
def _client(url: str, timeouts: Timeouts) -> pymongo.MongoClient:
    options = {**CONSISTENCY, **timeouts.client_options()}
    return pymongo.MongoClient(url, tz_aware=True, **options)


def get_db(config: Config, timeouts: Timeouts = SERVICE_TIMEOUTS) -> Database:
    return _client(config.mongo_url, timeouts)[config.mongo_db]


ACCEPTED = WriteConcern(w="majority", j=True)
"""The write concern of a write the API answers for ("accepted", "processing", 201):
journaled on a majority of the members, so no failover can undo it (CONSISTENCY)."""


def accepted(db: Database, name: str) -> Collection:
    """``name``, writing with ``ACCEPTED`` whatever the client's own defaults."""
    return db.get_collection(name, write_concern=ACCEPTED)


def insert_new(collection: Collection, docs: list[dict]) -> set[int]:
    """Insert ``docs`` in one round trip, keeping the ones whose ``_id`` already exists
    (a replay); returns the indexes of those. Any other write error is raised."""
    if not docs:
        return set()
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as error:
        write_errors = error.details.get("writeErrors", [])
        # A write concern error (the majority never acknowledged, e.g. a step-down while
        # waiting) comes as a BulkWriteError with no writeErrors at all: not accepted.
        if error.details.get("writeConcernErrors") or any(item.get("code") != DUPLICATE_KEY
                                                          for item in write_errors):
            raise
        return {item["index"] for item in write_errors}
    return set()
