"""Fault injection for the chaos suite (tests/chaos): kill one process of a test run.

Only pids this run started are touched: a process of the stack by its ``Popen``, a
gateway worker as a child of that gunicorn master, a server by its pidfile
(``ManagedServer.kill`` / ``restart``). Nothing is ever looked up or killed by name.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from infra import _process
from infra.errors import InfraError
from infra.process_stack import Stack


def parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces: fields after the last ")".
    return int(stat.rsplit(")", 1)[-1].split()[1])


def child_pids(pid: int) -> list[int]:
    """Live children of ``pid``, oldest first (pids from /proc, no psutil needed)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_pid(int(entry.name)) == pid and _process.is_alive(int(entry.name)):
            children.append(int(entry.name))
    return sorted(children)


def process_pid(stack: Stack, name: str) -> int:
    proc = stack.processes.get(name)
    if proc is None or proc.poll() is not None:
        raise InfraError(f"process {name!r} of the stack is not running")
    return proc.pid


def sigkill_process(stack: Stack, name: str) -> int:
    """SIGKILL one process of the stack (its whole process group, as a container dies);
    returns its pid. The stack forgets it: ``stack.start(name)`` plays the supervisor."""
    pid = process_pid(stack, name)
    stack.stop(name, signal.SIGKILL)
    return pid


def sigkill_worker(stack: Stack, name: str = "gateway", timeout: float = 15.0) -> int:
    """SIGKILL one worker of a pre-forking master (gunicorn), leaving the master to fork
    a replacement; returns the killed worker's pid."""
    master = process_pid(stack, name)
    workers = child_pids(master)
    if not workers:
        raise InfraError(f"{name} (pid {master}) has no worker to kill")
    victim = workers[0]
    # Checked again just before the signal: the pid must still be our master's child.
    if parent_pid(victim) != master:
        raise InfraError(f"pid {victim} is no longer a worker of {name}")
    os.kill(victim, signal.SIGKILL)
    if not _process.wait_gone(victim, timeout):
        raise InfraError(f"{name} worker {victim} survived SIGKILL for {timeout:g} s")
    return victim


def wait_workers(stack: Stack, name: str, count: int, timeout: float = 30.0) -> list[int]:
    """The master's workers once it runs ``count`` of them again (after a worker died)."""
    master = process_pid(stack, name)
    found: list[int] = []

    def enough() -> bool:
        found[:] = child_pids(master)
        return len(found) >= count

    if not _process.poll(enough, timeout, interval=0.1):
        raise InfraError(f"{name} has {len(found)} workers after {timeout:g} s, expected {count}")
    return found
