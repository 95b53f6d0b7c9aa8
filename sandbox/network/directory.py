"""The prekey directory: each user's public identity key, signed prekey and a pool of
one-time prekeys. Every bundle fetch hands out (and deletes) one one-time prekey; when
the pool is empty the bundle comes without one. The directory only stores the public
dicts clients upload (``services.protocol`` ``to_dict()`` shapes); bundles are built
from them by :mod:`sandbox.network.keys`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sandbox.changes import Changes, Key

KeyDict = dict[str, Any]

KEYS = "keys"
"""Journal record kind (sandbox/changes.py): ``(KEYS, wa_id)``, a user's whole entry."""


def otpk_key_id(otpk: KeyDict) -> Any:
    return otpk.get("key_id")


@dataclass
class KeyEntry:
    identity: KeyDict
    signed_prekey: KeyDict
    one_time_prekeys: OrderedDict[str, KeyDict] = field(default_factory=OrderedDict)


class Directory:
    def __init__(self, changes: Changes | None = None) -> None:
        self._changes = changes or Changes()
        self.entries: dict[str, KeyEntry] = {}

    def has_keys(self, wa_id: str) -> bool:
        return wa_id in self.entries

    def publish(self, wa_id: str, identity: KeyDict, signed_prekey: KeyDict, one_time_prekeys: list[KeyDict]) -> int:
        """Replace all of ``wa_id``'s keys; returns the one-time prekey count."""
        entry = KeyEntry(identity=identity, signed_prekey=signed_prekey)
        for otpk in one_time_prekeys:
            entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
        self.entries[wa_id] = entry
        self._changes.mark(KEYS, wa_id)
        return len(entry.one_time_prekeys)

    def add_one_time(self, wa_id: str, one_time_prekeys: list[KeyDict]) -> int:
        entry = self.entries[wa_id]
        for otpk in one_time_prekeys:
            entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
        self._changes.mark(KEYS, wa_id)
        return len(entry.one_time_prekeys)

    def move(self, old: str, new: str) -> None:
        """``old``'s keys now answer for ``new`` (same device, same keys, new number)."""
        entry = self.entries.pop(old, None)
        if entry is not None:
            self.entries[new] = entry
            self._changes.mark(KEYS, old)
            self._changes.mark(KEYS, new)

    def count(self, wa_id: str) -> int:
        entry = self.entries.get(wa_id)
        return len(entry.one_time_prekeys) if entry else 0

    def take(self, wa_id: str) -> tuple[KeyEntry, KeyDict | None] | None:
        """The entry and one consumed one-time prekey (None when exhausted)."""
        entry = self.entries.get(wa_id)
        if entry is None:
            return None
        otpk = None
        if entry.one_time_prekeys:
            _, otpk = entry.one_time_prekeys.popitem(last=False)
            self._changes.mark(KEYS, wa_id)
        return entry, otpk

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {wa_id: _entry_dict(e) for wa_id, e in self.entries.items()}

    def load(self, data: dict[str, Any]) -> None:
        self.entries = {wa_id: _entry_from_dict(e) for wa_id, e in data.items()}

    def dump_record(self, key: Key) -> Any:
        _, wa_id = key
        entry = self.entries.get(wa_id)
        return _entry_dict(entry) if entry else None

    def apply_record(self, key: Key, value: Any) -> None:
        _, wa_id = key
        if value is None:
            self.entries.pop(wa_id, None)
        else:
            self.entries[wa_id] = _entry_from_dict(value)


def _entry_dict(entry: KeyEntry) -> dict[str, Any]:
    return {
        "identity": entry.identity,
        "signed_prekey": entry.signed_prekey,
        "one_time_prekeys": list(entry.one_time_prekeys.values()),
    }


def _entry_from_dict(data: dict[str, Any]) -> KeyEntry:
    entry = KeyEntry(identity=data["identity"], signed_prekey=data["signed_prekey"])
    for otpk in data.get("one_time_prekeys", []):
        entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
    return entry
