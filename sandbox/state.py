"""Everything the sandbox holds, in memory; its JSON snapshot and its journal records.

A journal record is one keyed part of the state (sandbox/changes.py): the key's first
element names its kind, and the part that owns that kind reads it (``dump_record``)
and, on a replay, sets it (``apply_record``).
"""

from __future__ import annotations

from typing import Any, Protocol

from sandbox.changes import Changes, Key
from sandbox.journal import JournalBatch
from sandbox.network import directory, profiles, registration, relay, templates
from sandbox.network.service import Network
from sandbox.phones import MESSAGE, PHONE, PhoneBook

SNAPSHOT_VERSION = 1


class RecordOwner(Protocol):
    def dump_record(self, key: Key) -> Any: ...
    def apply_record(self, key: Key, value: Any) -> None: ...


class SandboxState:
    def __init__(self, changes: Changes | None = None) -> None:
        self.changes = changes or Changes()
        self.network = Network(self.changes)
        self.phones = PhoneBook(self.network, self.changes)
        network = self.network
        owners: list[tuple[tuple[str, ...], RecordOwner]] = [
            (registration.RECORD_KINDS, network.registry),
            ((directory.KEYS,), network.directory),
            ((relay.ITEM,), network.relay),
            ((templates.TEMPLATE,), network.templates),
            ((profiles.PROFILE,), network.profiles),
            ((PHONE, MESSAGE), self.phones),
        ]
        self._owners = {kind: owner for kinds, owner in owners for kind in kinds}

    # -- journal records -----------------------------------------------------
    def dump_record(self, key: Key) -> Any:
        """The current value of the record ``key`` (None: there is none)."""
        return self._owners[key[0]].dump_record(key)

    def apply_batch(self, batch: JournalBatch) -> None:
        for key, value in batch.records:
            owner = self._owners.get(key[0])
            if owner is None:
                raise ValueError(f"unknown journal record kind {key[0]!r}")
            owner.apply_record(key, value)
        self.network.relay.apply_log(batch.log)

    # -- snapshot ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_version": SNAPSHOT_VERSION,
            "network": self.network.to_dict(),
            "phones": self.phones.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], changes: Changes | None = None) -> SandboxState:
        if data.get("snapshot_version") != SNAPSHOT_VERSION:
            raise ValueError("unsupported sandbox snapshot version")
        state = cls(changes)
        state.network.load(data.get("network", {}))
        state.phones.load(data.get("phones", []))
        return state
