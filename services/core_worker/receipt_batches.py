"""How a shard's queued receipts (``outbound_receipts``) go out: one network call per
contact and status. Pure.

Grouping by status must not let a ``read`` overtake the ``delivered`` of the same
message: a message's ``delivered`` is always queued (numbered) before its ``read``, so
sending every contact's ``delivered`` group before its ``read`` group keeps that order
for any batch taken in ``seq`` order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

SEND_ORDER = ("delivered", "read")


class ReceiptBatch(NamedTuple):
    wa_id: str
    status: str
    message_ids: list[str]
    """What the network call names."""
    row_ids: list[str]
    """The ``outbound_receipts`` rows to delete once it is sent."""


def _rank(status: str) -> int:
    return SEND_ORDER.index(status) if status in SEND_ORDER else len(SEND_ORDER)


def group(pending: list[dict[str, Any]]) -> list[ReceiptBatch]:
    """``pending`` in ``seq`` order → the calls to make, in the order to make them."""
    batches: dict[tuple[str, str], ReceiptBatch] = {}
    for row in pending:
        key = (row["wa_id"], row["status"])
        batch = batches.get(key)
        if batch is None:
            batch = batches[key] = ReceiptBatch(row["wa_id"], row["status"], [], [])
        # Rows queued before receipt ids named their status were keyed by the message id.
        batch.message_ids.append(row.get("message_id", row["_id"]))
        batch.row_ids.append(row["_id"])
    # sorted() is stable: within a status, contacts keep their seq order.
    return sorted(batches.values(), key=lambda batch: _rank(batch.status))
