"""Everything the sandbox holds, in memory, and its JSON snapshot."""

from __future__ import annotations

from typing import Any

from sandbox.network.service import Network
from sandbox.phones import PhoneBook

SNAPSHOT_VERSION = 1


class SandboxState:
    def __init__(self) -> None:
        self.version = 0
        self.network = Network(on_change=self.touch)
        self.phones = PhoneBook(self.network, on_change=self.touch)

    def touch(self) -> None:
        """Something changed: the next snapshot tick writes the state file."""
        self.version += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_version": SNAPSHOT_VERSION,
            "network": self.network.to_dict(),
            "phones": self.phones.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxState:
        if data.get("snapshot_version") != SNAPSHOT_VERSION:
            raise ValueError("unsupported sandbox snapshot version")
        state = cls()
        state.network.load(data.get("network", {}))
        state.phones.load(data.get("phones", []))
        state.version = 0
        return state
