"""Publishing a process's counters into MongoDB, where the gateway merges them.

Processes other than the core (which publishes on its lease heartbeat, into its
``core_nodes`` document) write one ``service_stats`` document each, every
``PUBLISH_SECONDS``:
``{_id: "<service>:<hostname>:<pid>", service: "gateway" | "dispatcher", host, pid,
started_at, published_at, expires_at, stats: <stats_counters snapshot>}``.
A document is live while ``expires_at`` (server time) is ahead; a process that died
stops renewing it, so its counts leave the merge after ``EXPIRE_SECONDS`` (a TTL index
deletes it a minute or so later). MongoDB is the truth here too: nothing goes through Redis.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import pymongo
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.stats.counters import COUNTERS, Counters

log = logging.getLogger(__name__)

SERVICE_STATS = "service_stats"
PUBLISH_SECONDS = 2.0
EXPIRE_SECONDS = 15.0  # a few missed publishes (a MongoDB blip) do not drop a live process
_LIVE = {"$expr": {"$gt": ["$expires_at", "$$NOW"]}}


def process_key(service: str) -> str:
    return f"{service}:{socket.gethostname()}:{os.getpid()}"


def publish(db: Database, service: str, counters: Counters = COUNTERS) -> None:
    """One upsert, timed by the server's clock."""
    db[SERVICE_STATS].update_one({"_id": process_key(service)}, [{"$set": {
        "service": service, "host": socket.gethostname(), "pid": os.getpid(),
        "started_at": {"$ifNull": ["$started_at", "$$NOW"]}, "published_at": "$$NOW",
        "expires_at": {"$add": ["$$NOW", int(EXPIRE_SECONDS * 1000)]},
        "stats": {"$literal": counters.snapshot(service)},
    }}], upsert=True)


def ensure_indexes(db: Database) -> None:
    # A dead process's document is deleted a minute or so after it stopped renewing it.
    db[SERVICE_STATS].create_index("expires_at", expireAfterSeconds=0)


def live(db: Database, service: str) -> list[dict[str, Any]]:
    """The live processes' documents of ``service``."""
    return list(db[SERVICE_STATS].find({"service": service, **_LIVE}))


class StatsPublisher(threading.Thread):
    def __init__(self, db: Database, service: str, counters: Counters = COUNTERS,
                 interval: float = PUBLISH_SECONDS) -> None:
        super().__init__(name=f"stats-publisher-{service}", daemon=True)
        self.db, self.service, self.counters, self.interval = db, service, counters, interval
        self.stopping = threading.Event()

    def run(self) -> None:
        indexed = False
        while True:
            try:
                with pymongo.timeout(self.interval):
                    if not indexed:
                        self.db[SERVICE_STATS].create_index("expires_at", expireAfterSeconds=0)
                        indexed = True
                    publish(self.db, self.service, self.counters)
            except PyMongoError as error:  # published again at the next interval
                log.warning("could not publish %s stats: %s", self.service, error.__class__.__name__)
            except Exception:  # keep the thread alive whatever happens
                log.exception("could not publish %s stats", self.service)
            if self.stopping.wait(self.interval):
                return


_running: dict[str, tuple[int, StatsPublisher]] = {}
_lock = threading.Lock()


def ensure_publishing(db: Database, service: str) -> None:
    """Start this process's publisher of ``service`` once (again in a forked child)."""
    with _lock:
        running = _running.get(service)
        if running is not None and running[0] == os.getpid() and running[1].is_alive():
            return
        publisher = StatsPublisher(db, service)
        publisher.start()
        _running[service] = (os.getpid(), publisher)
