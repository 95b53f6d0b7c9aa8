"""What the message garbage collection deletes (spec §12, §14): pure, given documents
and a clock.

A message is garbage once it is finished and older than :data:`RETENTION` (by its
``created_at``, when it was accepted or received):

- outbound: its status is final (``delivered``, ``read`` or ``failed``); a message still
  ``accepted`` or only ``sent`` may yet change and is kept;
- inbound: ``received`` or ``read``, and no medium of it still being fetched
  (``received_media.download: "pending"``);
- and nothing still waits on it: no callback about it in the outbox (its status
  callbacks ``status:<id>:<status>``, its inbound callback ``in:<id>``) and no receipt
  the business still owes its sender (``outbound_receipts`` ``<id>:delivered|read``).

Its statuses and receipts live in its document (``status_timestamps``) and go with it.
A document without ``created_at`` (none is written so) is never deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.callbacks import inbound_callback
from services.messages import message_store, statuses

RETENTION = timedelta(days=30)
FINAL_OUTBOUND = frozenset({"delivered", "read", "failed"})
FINISHED_INBOUND = frozenset({"received", "read"})
CALLBACK_STATUSES = ("sent", "delivered", "read", "failed")
RECEIPT_STATUSES = ("delivered", "read")
FETCHING = "pending"

FIELDS = {"_id": 1, "direction": 1, "status": 1, "created_at": 1, "received_media.download": 1}
"""What :func:`deletable` reads of a document."""


def cutoff(now: datetime) -> datetime:
    return now - RETENTION


def prefilter(now: datetime) -> dict[str, Any]:
    """The MongoDB filter of the candidates at ``now`` (index-friendly; :func:`deletable`
    decides). Also re-applied by the delete, so a message that moved meanwhile stays."""
    return {"created_at": {"$lt": cutoff(now)}, "status": {"$in": sorted(FINAL_OUTBOUND | FINISHED_INBOUND)}}


def waiting_on(message: dict[str, Any]) -> list[str]:
    """The ids of the outbox callbacks and owed receipts that would still need ``message``."""
    message_id = message["_id"]
    if message.get("direction") == "inbound":
        return [inbound_callback.callback_id(message_id),
                *(message_store.receipt_id(message_id, status) for status in RECEIPT_STATUSES)]
    return [statuses.callback_id(message_id, status) for status in CALLBACK_STATUSES]


def deletable(message: dict[str, Any], now: datetime, waiting: set[str]) -> bool:
    """Whether ``message`` is garbage at ``now``; ``waiting``: the ids of
    :func:`waiting_on` (of this message or others) that are still pending."""
    created = message.get("created_at")
    if created is None or created >= cutoff(now):
        return False
    if any(held in waiting for held in waiting_on(message)):
        return False
    status = message.get("status")
    if message.get("direction") == "outbound":
        return status in FINAL_OUTBOUND
    if message.get("direction") == "inbound":
        fetching = (message.get("received_media") or {}).get("download") == FETCHING
        return status in FINISHED_INBOUND and not fetching
    return False


def automatic_enabled(settings: dict[str, Any]) -> bool:
    """The periodic collection runs while both switches of spec §14 are on: the newer
    ``garbagecollector_enable.messages`` and the legacy ``db_garbagecollector_enable``."""
    return bool(settings.get("db_garbagecollector_enable")) and bool(
        (settings.get("garbagecollector_enable") or {}).get("messages"))
