"""A MongoDB database emptied between tests without rebuilding its indexes each time.

Dropping every collection and building every index again costs tens of milliseconds per
test (each drop and each create is a catalogue change); deleting the documents keeps
the collections and their indexes, TTL and unique ones included. What a test added is
taken back: collections the indexes do not create are dropped, indexes beyond the
baseline are dropped, and a baseline collection or index that a test dropped is built
again by the same ``ensure_indexes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.database import Database

Indexes = dict[str, dict[str, Any]]  # index name -> its key and options (index_information)
Baseline = dict[str, Indexes]  # collection -> its indexes


class IndexedDatabase:
    def __init__(self, database: Database, ensure_indexes: Callable[[Database], None]) -> None:
        self.database = database
        self.ensure_indexes = ensure_indexes
        self.baseline: Baseline = {}

    def prepare(self) -> Database:
        """Start from nothing (whatever ran on this database before), then index it once."""
        self.database.client.drop_database(self.database.name)
        self.ensure_indexes(self.database)
        self.baseline = _indexes(self.database)
        return self.database

    def reset(self) -> Database:
        """Empty, with exactly the baseline's collections and indexes."""
        present = set(_collections(self.database))
        for name in present - self.baseline.keys():
            self.database.drop_collection(name)
        rebuild = bool(self.baseline.keys() - present)
        for name in present & self.baseline.keys():
            rebuild |= self._reset_collection(name)
        if rebuild:
            self.ensure_indexes(self.database)
        return self.database

    def _reset_collection(self, name: str) -> bool:
        """Empties ``name`` and drops the indexes a test added or changed; True if one of
        the baseline's is now missing."""
        collection = self.database[name]
        collection.delete_many({})
        wanted = self.baseline[name]
        kept = set()
        for index, spec in collection.index_information().items():
            if wanted.get(index) == spec:
                kept.add(index)
            else:
                collection.drop_index(index)
        return bool(wanted.keys() - kept)


def _collections(database: Database) -> list[str]:
    # system.* collections (views, profile) are the server's, not a test's.
    return [name for name in database.list_collection_names() if not name.startswith("system.")]


def _indexes(database: Database) -> Baseline:
    return {name: database[name].index_information() for name in _collections(database)}
