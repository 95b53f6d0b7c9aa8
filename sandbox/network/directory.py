"""The prekey directory: each user's public identity key, signed prekey and a pool of
one-time prekeys. Every bundle fetch hands out (and deletes) one one-time prekey; when
the pool is empty the bundle comes without one. The directory only stores the public
dicts clients upload (``services.protocol`` ``to_dict()`` shapes); bundles are built
from them by :mod:`sandbox.network.keys`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KeyDict = dict[str, Any]


def otpk_key_id(otpk: KeyDict) -> Any:
    return otpk.get("key_id")


@dataclass
class KeyEntry:
    identity: KeyDict
    signed_prekey: KeyDict
    one_time_prekeys: OrderedDict[str, KeyDict] = field(default_factory=OrderedDict)


class Directory:
    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self._on_change = on_change
        self.entries: dict[str, KeyEntry] = {}

    def has_keys(self, wa_id: str) -> bool:
        return wa_id in self.entries

    def publish(self, wa_id: str, identity: KeyDict, signed_prekey: KeyDict, one_time_prekeys: list[KeyDict]) -> int:
        """Replace all of ``wa_id``'s keys; returns the one-time prekey count."""
        entry = KeyEntry(identity=identity, signed_prekey=signed_prekey)
        for otpk in one_time_prekeys:
            entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
        self.entries[wa_id] = entry
        self._on_change()
        return len(entry.one_time_prekeys)

    def add_one_time(self, wa_id: str, one_time_prekeys: list[KeyDict]) -> int:
        entry = self.entries[wa_id]
        for otpk in one_time_prekeys:
            entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
        self._on_change()
        return len(entry.one_time_prekeys)

    def move(self, old: str, new: str) -> None:
        """``old``'s keys now answer for ``new`` (same device, same keys, new number)."""
        entry = self.entries.pop(old, None)
        if entry is not None:
            self.entries[new] = entry
            self._on_change()

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
            self._on_change()
        return entry, otpk

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            wa_id: {
                "identity": e.identity,
                "signed_prekey": e.signed_prekey,
                "one_time_prekeys": list(e.one_time_prekeys.values()),
            }
            for wa_id, e in self.entries.items()
        }

    def load(self, data: dict[str, Any]) -> None:
        self.entries = {}
        for wa_id, e in data.items():
            entry = KeyEntry(identity=e["identity"], signed_prekey=e["signed_prekey"])
            for otpk in e.get("one_time_prekeys", []):
                entry.one_time_prekeys[str(otpk_key_id(otpk))] = otpk
            self.entries[wa_id] = entry
