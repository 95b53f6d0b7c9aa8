"""Re-sealing one sealed field of a collection under the newest master key, so that an
older key can be retired (docs/design.md "Keys"; the command is
``python -m services.migrations.reseal``).

Safe while the system runs: each blob is replaced by a compare-and-set on the blob that
was read, so a concurrent write (a session sealed again after a message, a prekey
consumed) wins and is never overwritten with stale data; that record is counted as
``changed_meanwhile`` (the writer sealed under the newest key already, as every writer
does). Idempotent: a blob that names the newest key is left alone. Batched: the cursor
reads and the updates go ``BATCH`` at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne
from pymongo.collection import Collection

from services.protocol import at_rest
from services.protocol.errors import ProtocolError
from services.protocol.keyring import Keys

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class ResealCount:
    """What re-sealing one field did."""

    collection: str
    field: str
    resealed: int = 0
    already_newest: int = 0
    changed_meanwhile: int = 0
    """Written by someone else between the read and the compare-and-set: left as it is."""
    unreadable: int = 0
    """Opens under no configured key (or is malformed): retiring a key now loses nothing
    more, but these records were unusable already and are named in the log."""

    @property
    def complete(self) -> bool:
        """Every blob is known to open under the newest key. A record written meanwhile
        is not known to be: its writer may not have been restarted since the newest key
        was added (a process seals under the newest key it has read): a second run tells."""
        return self.unreadable == 0 and self.changed_meanwhile == 0


def reseal_field(collection: Collection, field: str, context_of: Callable[[dict[str, Any]], bytes],
                 keys: Keys, *, also_read: Iterable[str] = (), batch: int = BATCH) -> ResealCount:
    """Re-seal ``field`` (a dotted path) of every document of ``collection`` that has
    it; ``context_of`` gives a document's sealing context from its ``_id`` and the
    ``also_read`` fields."""
    resealed = already = lost = unreadable = 0
    updates: list[UpdateOne] = []
    projection = {field: 1, **{name: 1 for name in also_read}}
    for doc in collection.find({field: {"$exists": True, "$type": "binData"}}, projection, batch_size=batch):
        blob = _value(doc, field)
        try:
            if at_rest.sealed_under_newest(keys, bytes(blob)):
                already += 1
                continue
            context = context_of(doc)
            fresh = at_rest.seal(keys, at_rest.open_sealed(keys, bytes(blob), context), context)
        except ProtocolError as exc:
            unreadable += 1
            log.warning("cannot re-seal %s.%s of %r: %s", collection.name, field, doc["_id"], exc)
            continue
        updates.append(UpdateOne({"_id": doc["_id"], field: blob}, {"$set": {field: fresh}}))
        if len(updates) >= batch:
            done, missed = _write(collection, updates)
            resealed, lost, updates = resealed + done, lost + missed, []
    done, missed = _write(collection, updates)
    return ResealCount(collection.name, field, resealed=resealed + done, already_newest=already,
                       changed_meanwhile=lost + missed, unreadable=unreadable)


def _write(collection: Collection, updates: list[UpdateOne]) -> tuple[int, int]:
    """(re-sealed, lost to a concurrent write) of one batch of compare-and-sets."""
    if not updates:
        return 0, 0
    result = collection.bulk_write(updates, ordered=False)
    return result.modified_count, len(updates) - result.matched_count


def _value(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc
