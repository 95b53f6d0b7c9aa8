"""What changed in the sandbox state since the last journal batch (``--state-file``).

Every part of the state names the records it changes by a *key*, a tuple whose first
element says which kind of record it is (``("item", wa_id, item_id)``, ``("phone",
wa_id)``, ...; :meth:`sandbox.state.SandboxState.dump_record` reads one). A batch is
the keys changed since the previous one, in the order they first changed, plus the
relay-log appends; the journal stores each key with the record's value *when the batch
is written* (None: the record is gone), so a key changed twice is written once.

Without a state file nothing is collected (``enabled`` is False): the sandbox keeps no
history of its changes in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Key = tuple[Any, ...]


@dataclass
class Batch:
    seq: int
    """The change counter when the batch was taken: the batch holds every change up to it."""
    keys: list[Key] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.keys or self.log)


class Changes:
    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.seq = 0
        """Counts every change; what a commit barrier waits for."""
        self._keys: dict[Key, None] = {}  # an ordered set: a key keeps its first position
        self._log: list[dict[str, Any]] = []
        self.on_change: Callable[[], None] = lambda: None
        """Called after each change (the journal writer's wake-up)."""

    def mark(self, *key: Any) -> None:
        """The record ``key`` changed (was created, updated or deleted)."""
        if not self.enabled:
            return
        self.seq += 1
        self._keys.setdefault(key, None)
        self.on_change()

    def logged(self, envelope: dict[str, Any]) -> None:
        """``envelope`` was appended to the relay log."""
        if not self.enabled:
            return
        self.seq += 1
        self._log.append(envelope)
        self.on_change()

    def pending(self) -> bool:
        return bool(self._keys or self._log)

    def take(self) -> Batch:
        """Everything changed so far; collecting starts again from nothing."""
        batch = Batch(self.seq, list(self._keys), self._log)
        self._keys, self._log = {}, []
        return batch

    def put_back(self, batch: Batch) -> None:
        """A batch that could not be written goes before whatever changed since."""
        keys = dict.fromkeys(batch.keys)
        keys.update(self._keys)
        self._keys = keys
        self._log = batch.log + self._log
