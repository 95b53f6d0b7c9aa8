"""Migration 1: rows carry their contact's server shard, and each kind of row one shared counter.

Before the shard count could change at run time, rows carried a ``shard`` number and
each shard its own counters (``outbound:<n>``, ``inbound:<n>``, ``receipts:<n>``). Rows
still pending from then get their ``server_shard``, and the shared counters start past
every per-shard one, so that nothing pending is skipped or overtaken.
"""

from __future__ import annotations

import logging
import re

from pymongo import UpdateOne
from pymongo.database import Database

from services.cluster.sharding import server_shard
from services.messages import message_store

log = logging.getLogger(__name__)

_PENDING = {
    "messages": {"direction": "outbound", "status": "accepted"},
    "outbound_receipts": {},
    "inbound_events": {},
}


# The shared counter of each kind, and the rows it numbers.
_COUNTED = {
    message_store.OUTBOUND_SEQ: "messages",
    message_store.INBOUND_SEQ: "inbound_events",
    message_store.RECEIPT_SEQ: "outbound_receipts",
}


def apply(db: Database) -> None:
    for name, pending in _PENDING.items():
        _add_server_shards(db, name, pending)
    for counter, name in _COUNTED.items():
        _continue_counter(db, counter, name)


def _sender(name: str, doc: dict) -> str:
    if name == "inbound_events":
        return str((doc.get("payload") or {}).get("from", ""))
    return str(doc.get("wa_id", ""))


def _add_server_shards(db: Database, name: str, pending: dict) -> None:
    rows = list(db[name].find({**pending, "server_shard": {"$exists": False}}, {"wa_id": 1, "payload.from": 1}))
    if not rows:
        return
    db[name].bulk_write([UpdateOne({"_id": row["_id"]}, {"$set": {"server_shard": server_shard(_sender(name, row))}})
                         for row in rows])
    log.info("%s: %d pending row(s) given their server shard", name, len(rows))


def _continue_counter(db: Database, counter: str, name: str) -> None:
    """Start ``counter`` past every per-shard counter and every pending row's ``seq``."""
    old = db.counters.find({"_id": {"$regex": f"^{re.escape(counter)}:[0-9]+$"}})
    highest = max((int(doc.get("value", 0)) for doc in old), default=0)
    last = db[name].find_one({**_PENDING[name], "seq": {"$exists": True}}, {"seq": 1}, sort=[("seq", -1)])
    highest = max(highest, int(last["seq"]) if last else 0)
    if highest:
        db.counters.update_one({"_id": counter}, {"$max": {"value": highest}}, upsert=True)
