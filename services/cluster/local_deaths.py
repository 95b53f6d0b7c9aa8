"""Core nodes known dead without waiting for their leases to run out.

A node's leases normally outlive it by the lease time (5 s), because no other node can
tell a dead process from a slow one. A node on the *same machine* can: when the other
node's document names this host, this boot of it (``boot_id``) and this pid namespace,
and no process has its pid, it is gone for sure. Its leases are then taken at once, which
is what a supervisor restarting a killed core (systemd, ``docker restart``, honcho)
relies on. A different machine, another boot, another container's pid namespace or a
pid that exists (even reused by an unrelated process) all fall back to the lease expiry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Machine:
    """Where a process runs, as far as telling its pids apart goes."""

    host: str
    boot_id: str | None
    pid_namespace: str | None

    def fields(self) -> dict[str, Any]:
        return {"boot_id": self.boot_id, "pid_namespace": self.pid_namespace}

    @property
    def comparable(self) -> bool:
        return bool(self.boot_id and self.pid_namespace)


def this_machine(host: str) -> Machine:
    return Machine(host, _read(lambda: Path("/proc/sys/kernel/random/boot_id").read_text().strip()),
                   _read(lambda: os.readlink("/proc/self/ns/pid")))


def _read(get) -> str | None:
    try:
        return get() or None
    except OSError:
        return None


def _pid(node_id: str) -> int | None:
    text = node_id.rpartition(":")[2]
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def dead_here(me: str, machine: Machine, nodes: list[dict[str, Any]]) -> set[str]:
    """The ids among ``nodes`` (core_nodes documents) of processes of this machine that
    no longer exist."""
    if not machine.comparable:
        return set()
    dead = set()
    for node in nodes:
        pid = _pid(node["_id"])
        same = (node.get("host"), node.get("boot_id"), node.get("pid_namespace")) == (
            machine.host, machine.boot_id, machine.pid_namespace)
        if node["_id"] != me and same and pid is not None and not _alive(pid):
            dead.add(node["_id"])
    return dead
