"""Process and port helpers shared by the server wrappers.

Every check here exists because the machines are shared (spec §5.4): a pid in a
pidfile may have been recycled, and a port may belong to somebody else's server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def write_pid(pidfile: Path, pid: int) -> None:
    pidfile.write_text(f"{pid}\n")


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def is_alive(pid: int) -> bool:
    """True for a running process; zombies count as gone (they hold no ports or files)."""
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def _reap(pid: int) -> None:
    # Our own children (servers started in this process) stay zombies until waited for.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_ours(pid: int, program: str, marker: str) -> bool:
    """The pid runs `program` and one of its arguments mentions our run directory."""
    args = cmdline(pid)
    if not args or os.path.basename(args[0]) != program:
        return False
    return any(marker in arg for arg in args[1:])


def owned_pid(pidfile: Path, program: str, marker: str) -> int | None:
    pid = read_pid(pidfile)
    if pid is None or not is_alive(pid) or not is_ours(pid, program, marker):
        return None
    return pid


def send_signal(pid: int, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.05)
    return not is_alive(pid)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True unless something listens on the port.

    SO_REUSEADDR mirrors what the servers themselves set: without it, TIME_WAIT
    connections left by a server we just stopped would make its port look busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def describe_port(port: int) -> str:
    """What `ss` knows of the sockets on ``port``, to say who holds it ('' without ss)."""
    try:
        result = subprocess.run(
            ["ss", "-Htanp", f"( sport = :{port} )"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return f"\n{result.stdout.strip()}" if result.stdout.strip() else ""


def poll(probe: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Call `probe` until it returns True or `timeout` expires."""
    deadline = time.monotonic() + timeout
    while True:
        if probe():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {path} is empty)"
