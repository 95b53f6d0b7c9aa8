"""The ciphertext relay: per-recipient mailboxes and the relay log.

A mailbox holds items ``{"type": "envelope", "id", "envelope": {...}}``,
``{"type": "receipt", "id", "receipt": {...}}`` and ``{"type": "notification", "id",
"notification": {"kind", ...}}`` (what the server itself tells a client) in arrival
order until the recipient acknowledges them. Consumers (a business's WebSocket connection, a virtual phone's
worker) register an :class:`asyncio.Event` that is set whenever their mailbox grows.
The relay log keeps every envelope exactly as the server received it (ciphertext
only: the server never holds plaintext).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

from sandbox.changes import Changes, Key
from sandbox.ids import item_id

Item = dict[str, Any]

DEFAULT_LOG_CAP = 10_000
SNAPSHOT_LOG_CAP = 1000
"""Relay-log entries a snapshot keeps (the journal appends the newer ones)."""

ITEM = "item"
"""Journal record kind (sandbox/changes.py): ``(ITEM, wa_id, item_id)``, one mailbox item."""


class Mailbox:
    """Items for one recipient, kept in order until acknowledged."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Item] = OrderedDict()

    def push(self, item: Item) -> None:
        self._items[item["id"]] = item

    def get(self, item_id_: str) -> Item | None:
        return self._items.get(item_id_)

    def remove(self, item_id_: str) -> bool:
        return self._items.pop(item_id_, None) is not None

    def pending(self) -> list[Item]:
        return list(self._items.values())

    def ack(self, ids: Iterable[str]) -> int:
        removed = 0
        for i in ids:
            if self._items.pop(i, None) is not None:
                removed += 1
        return removed

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id_: object) -> bool:
        return item_id_ in self._items


class Relay:
    def __init__(self, changes: Changes | None = None, log_cap: int = DEFAULT_LOG_CAP) -> None:
        self._changes = changes or Changes()
        self.mailboxes: dict[str, Mailbox] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=log_cap)
        self._watchers: dict[str, set[asyncio.Event]] = {}

    # -- mailboxes ---------------------------------------------------------
    def mailbox(self, wa_id: str) -> Mailbox:
        box = self.mailboxes.get(wa_id)
        if box is None:
            box = self.mailboxes[wa_id] = Mailbox()
        return box

    def _push(self, recipient: str, item: Item) -> Item:
        self.mailbox(recipient).push(item)
        self._changes.mark(ITEM, recipient, item["id"])
        for event in self._watchers.get(recipient, ()):
            event.set()
        return item

    def queue_envelope(self, recipient: str, envelope: dict[str, Any], log: bool = True) -> Item:
        if log:
            self.log.append(envelope)
            self._changes.logged(envelope)
        return self._push(recipient, {"type": "envelope", "id": item_id(), "envelope": envelope})

    def queue_receipt(self, recipient: str, receipt: dict[str, Any]) -> Item:
        return self._push(recipient, {"type": "receipt", "id": item_id(), "receipt": receipt})

    def queue_notification(self, recipient: str, notification: dict[str, Any]) -> Item:
        """Something the server tells ``recipient`` (``notification["kind"]`` says what)."""
        return self._push(recipient, {"type": "notification", "id": item_id(), "notification": notification})

    def move_mailbox(self, old: str, new: str) -> None:
        """Items still waiting for ``old`` go to ``new`` (the same device, renumbered)."""
        box = self.mailboxes.pop(old, None)
        if box is None:
            return
        target = self.mailbox(new)
        for item in box.pending():
            target.push(item)
            self._changes.mark(ITEM, old, item["id"])
            self._changes.mark(ITEM, new, item["id"])
        for event in self._watchers.get(new, ()):
            event.set()

    def pending(self, wa_id: str) -> list[Item]:
        box = self.mailboxes.get(wa_id)
        return box.pending() if box else []

    def ack(self, wa_id: str, ids: Iterable[str]) -> int:
        box = self.mailboxes.get(wa_id)
        if box is None:
            return 0
        removed = 0
        for i in ids:
            if box.remove(i):
                removed += 1
                self._changes.mark(ITEM, wa_id, i)
        return removed

    # -- consumers ---------------------------------------------------------
    def watch(self, wa_id: str, event: asyncio.Event) -> None:
        self._watchers.setdefault(wa_id, set()).add(event)
        event.set()  # whatever is already queued must be looked at

    def unwatch(self, wa_id: str, event: asyncio.Event) -> None:
        watchers = self._watchers.get(wa_id)
        if watchers is not None:
            watchers.discard(event)
            if not watchers:
                del self._watchers[wa_id]

    # -- persistence -------------------------------------------------------
    def to_dict(self, log_cap: int = SNAPSHOT_LOG_CAP) -> dict[str, Any]:
        log = list(self.log)[-log_cap:] if log_cap else []
        return {
            "mailboxes": {k: v.pending() for k, v in self.mailboxes.items() if len(v)},
            "log": log,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.mailboxes = {}
        for wa_id, items in data.get("mailboxes", {}).items():
            box = self.mailbox(wa_id)
            for item in items:
                box.push(item)
        self.log.clear()
        self.log.extend(data.get("log", []))

    def dump_record(self, key: Key) -> Any:
        _, wa_id, item_id_ = key
        box = self.mailboxes.get(wa_id)
        return box.get(item_id_) if box else None

    def apply_record(self, key: Key, value: Any) -> None:
        _, wa_id, item_id_ = key
        if value is not None:
            self.mailbox(wa_id).push(value)
        elif (box := self.mailboxes.get(wa_id)) is not None:
            box.remove(item_id_)

    def apply_log(self, envelopes: list[dict[str, Any]]) -> None:
        self.log.extend(envelopes)
