"""Running the migrations once, whichever process gets there first.

The marker is one document, ``migrations/schema``: ``{version, applied: [{version, name,
at}], lock_owner, lock_until}``. A process that finds migrations pending takes the lock
(free, or expired by the database server's clock, as leases are) and applies them one at
a time, moving ``version`` after each; the others wait until the version reaches the
head. A process that dies holding the lock leaves it to expire; the next one runs the
interrupted step again, which is why every step must be idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.migrations import indexes
from services.migrations.plan import Migration, head, pending
from services.migrations.versions import MIGRATIONS

log = logging.getLogger(__name__)

COLLECTION = "migrations"
MARKER = "schema"
LOCK_SECONDS = 60.0
"""Longer than any one step takes; a step that could take longer must renew the lock."""
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.2


class MigrationTimeout(RuntimeError):
    """Another process held the migration lock for longer than this one would wait."""


def prepare(db: Database) -> None:
    """The indexes, then the pending migrations."""
    indexes.ensure_all(db)
    migrate(db)


_prepared: set[tuple[int, str]] = set()
_preparing = threading.Lock()


def prepare_once(db: Database) -> None:
    """What a process runs before it serves: :func:`prepare`, once per process and
    database (every gateway app, core context and media worker asks; the first pays)."""
    key = (id(db.client), db.name)
    with _preparing:
        if key in _prepared:
            return
        prepare(db)
        _prepared.add(key)


def current_version(db: Database) -> int:
    marker = db[COLLECTION].find_one({"_id": MARKER}, {"version": 1})
    return int(marker.get("version", 0)) if marker else 0


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS, *, owner: str | None = None,
            lock_seconds: float = LOCK_SECONDS, wait_seconds: float = WAIT_SECONDS) -> list[int]:
    """Bring the database to the head of ``migrations``; returns the versions this call
    applied (none when another process did, or nothing was pending)."""
    owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait_seconds
    applied: list[int] = []
    while pending(migrations, current_version(db)):
        if _claim(db, owner, lock_seconds):
            try:
                # Read again under the lock: the previous holder may have finished meanwhile.
                for migration in pending(migrations, current_version(db)):
                    if not _apply(db, migration, owner, lock_seconds):
                        break  # our lock ran out and another process took it: it reruns this step
                    applied.append(migration.version)
            finally:
                _release(db, owner)
            continue
        if time.monotonic() > deadline:
            raise MigrationTimeout(f"the database is still below migration {head(migrations)} "
                                   f"after {wait_seconds:.0f} s; another process holds the lock")
        time.sleep(POLL_SECONDS)
    return applied


def _claim(db: Database, owner: str, lock_seconds: float) -> bool:
    """Take the lock if it is free or has expired (by the server's clock)."""
    markers = db[COLLECTION]
    try:
        markers.update_one({"_id": MARKER}, {"$setOnInsert": {"version": 0, "lock_owner": None}}, upsert=True)
    except DuplicateKeyError:  # another process created it at the same moment
        pass
    free = {"$or": [{"$eq": [{"$ifNull": ["$lock_owner", None]}, None]}, {"$lt": ["$lock_until", "$$NOW"]}]}
    taken = markers.update_one(
        {"_id": MARKER, "$expr": free},
        [{"$set": {"lock_owner": owner, "lock_until": {"$add": ["$$NOW", int(lock_seconds * 1000)]}}}])
    return taken.modified_count == 1


def _apply(db: Database, migration: Migration, owner: str, lock_seconds: float) -> bool:
    """Apply one step and move the marker past it, if the lock is still ours."""
    log.info("applying migration %d (%s)", migration.version, migration.name)
    migration.apply(db)
    moved = db[COLLECTION].update_one({"_id": MARKER, "lock_owner": owner}, [{"$set": {
        "version": migration.version,
        "applied": {"$concatArrays": [{"$ifNull": ["$applied", []]},
                                      [{"version": migration.version, "name": migration.name, "at": "$$NOW"}]]},
        "lock_until": {"$add": ["$$NOW", int(lock_seconds * 1000)]},
    }}])
    return moved.matched_count == 1


def _release(db: Database, owner: str) -> None:
    db[COLLECTION].update_one({"_id": MARKER, "lock_owner": owner}, {"$set": {"lock_owner": None, "lock_until": None}})
