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

from services.common.periodic import Job, Periodic
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


def job(db: Database, service: str, counters: Counters = COUNTERS, interval: float = PUBLISH_SECONDS) -> Job:
    """This process's publishing of ``service`` as a periodic job (services/common/periodic.py):
    at once, then every ``interval``; the first successful call creates the TTL index."""
    indexed = False

    def publish_now() -> None:
        nonlocal indexed
        try:
            with pymongo.timeout(interval):
                if not indexed:  # the dispatcher does not prepare the database (services/migrations/)
                    ensure_indexes(db)
                    indexed = True
                publish(db, service, counters)
        except PyMongoError as error:  # published again at the next interval; no traceback per outage tick
            log.warning("could not publish %s stats: %s", service, error.__class__.__name__)

    return Job(f"stats-{service}", interval, publish_now, at_start=True)


_running: dict[str, tuple[int, Periodic]] = {}
_lock = threading.Lock()


def ensure_publishing(db: Database, service: str) -> None:
    """Start this process's publishing of ``service`` once (again in a forked child, as
    gunicorn's workers are: threads do not survive a fork). For processes that have no
    :class:`Periodic` of their own; the others add :func:`job` to theirs."""
    with _lock:
        running = _running.get(service)
        if running is not None and running[0] == os.getpid() and running[1].is_alive():
            return
        publishing = Periodic([job(db, service)])
        publishing.start()
        _running[service] = (os.getpid(), publishing)
