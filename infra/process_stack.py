"""The real processes of the Procfile, started for end-to-end tests and benchmarks.

Each process is started with the same command the Procfile gives, on free ports,
against the test run's real Redis, MongoDB and S3, and stopped by its pid.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from infra.redis_server import with_db

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_commands(procfile: Path = REPO / "Procfile") -> dict[str, list[str]]:
    """The Procfile's processes, so tests run exactly what `make run` runs."""
    found = {}
    for line in procfile.read_text().splitlines():
        name, _, command = line.partition(":")
        if command.strip() and not name.startswith("#"):
            found[name.strip()] = shlex.split(command)
    return found


def instance_of(name: str) -> str:
    """The Procfile process of an instance name: "core.2" -> "core" ("core" -> "core")."""
    process, _, number = name.rpartition(".")
    return process if process and number.isdigit() else name


STOP_TIMEOUT = 15.0  # seconds for a stack's processes to exit before they are killed
EGRESS_PORTS = 12  # loopback ports a stack's tests may serve webhooks and media links on


class ReservedPorts:
    """Loopback ports held (bound, not listening) from before a stack starts, for the test
    servers its processes connect to on a user's behalf (the webhook, media links): the
    stack's ``WA_EGRESS_ALLOW`` names exactly these ``127.0.0.1:<port>``, not all of
    loopback, although the servers start later. A held port cannot be taken by anything
    else meanwhile; :meth:`take` hands its socket to the server that listens on it
    (tests/common/http_servers.py)."""

    def __init__(self, count: int) -> None:
        self._sockets: list[socket.socket] = []
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            self._sockets.append(sock)
        self.ports = tuple(sock.getsockname()[1] for sock in self._sockets)

    def allow_list(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def take(self) -> socket.socket:
        """A bound socket on one of the allowed ports, for a server to listen on."""
        if not self._sockets:
            raise RuntimeError(f"all {len(self.ports)} egress ports of the stack are taken; raise EGRESS_PORTS")
        return self._sockets.pop(0)

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()


@dataclass
class Stack:
    run_dir: Path
    env: dict[str, str]
    api_url: str  # plain HTTP (WA_ALLOW_HTTP): what most tests and the bench use
    network_url: str
    https_url: str  # the same API over TLS, with the certificate of GET /v1/certificates/external/ca
    egress: ReservedPorts = field(default_factory=lambda: ReservedPorts(0))
    """The ports ``WA_EGRESS_ALLOW`` allows: serve the webhook and media links on them."""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @classmethod
    def create(cls, run_dir: Path, servers_env: dict[str, str]) -> Stack:
        api_port, https_port, network_port = free_port(), free_port(), free_port()
        egress = ReservedPorts(EGRESS_PORTS)
        env = {
            **os.environ,
            **servers_env,
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "WA_MONGO_DB": "whatsapp_e2e",
            # Redis database 1: integration tests use database 0 for their own queues.
            "WA_REDIS_URL": with_db(servers_env["WA_REDIS_URL"], 1),
            "WA_KEY_FILE": str(run_dir / "master.key"),
            "WA_ALLOW_HTTP_WEBHOOKS": "1",
            "WA_API_HOST": "127.0.0.1",
            "WA_API_PORT": str(api_port),
            "WA_API_HTTPS_PORT": str(https_port),
            "WA_ALLOW_HTTP": "1",
            "WA_NETWORK_URL": f"http://127.0.0.1:{network_port}",
            "SANDBOX_HOST": "127.0.0.1",
            "SANDBOX_PORT": str(network_port),
            "SANDBOX_STATE_FILE": str(run_dir / "sandbox-state.json"),
            # Only the test servers' ports, not all of loopback (whatever the shell exported).
            "WA_EGRESS_ALLOW": egress.allow_list(),
            # The monitoring key, for tests of Apikey; and every test's users come from
            # 127.0.0.1, so one address's hourly limit of user changes must not run out
            # (the limit itself is proven in tests/integration/gateway/test_users.py).
            "WA_API_KEY": secrets.token_urlsafe(24),
            "WA_USER_CHANGES_PER_HOUR": "100000",
        }
        return cls(run_dir, env, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{network_port}",
                   f"https://127.0.0.1:{https_port}", egress)

    def start(self, *names: str, count: int | None = None) -> None:
        """Start Procfile processes by name. ``count``: that many instances of each,
        named like honcho's ``-c core=4`` does (core.1 .. core.4), each with its own log
        and pid; an instance name (``core.5``) starts one more of its process."""
        all_commands = procfile_commands()
        chosen = names or tuple(all_commands)
        if count is not None:
            chosen = tuple(f"{name}.{number}" for name in chosen for number in range(1, count + 1))
        for name in chosen:
            log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
            self.processes[name] = subprocess.Popen(
                all_commands[instance_of(name)], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for url in (f"{self.network_url}/sandbox/v1/relay/log", f"{self.api_url}/v1/health"):
            while True:
                self.check_alive()
                try:
                    requests.get(url, timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{url} not answering\n{self.logs()}") from None
                    time.sleep(0.2)

    def check_alive(self) -> None:
        dead = {name: proc.returncode for name, proc in self.processes.items() if proc.poll() is not None}
        if dead:
            raise RuntimeError(f"processes exited: {dead}\n{self.logs()}")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        self._stop_together([name], sig)

    def stop_all(self) -> None:
        """Every process signalled at once, so that their graceful shutdowns overlap
        (one after the other they took seconds each)."""
        self._stop_together(list(self.processes))
        self.egress.close()

    def _stop_together(self, names: list[str], sig: int = signal.SIGTERM) -> None:
        running = [proc for name in names if (proc := self.processes.pop(name, None)) and proc.poll() is None]
        for proc in running:
            # Each process leads its own session: signal the group so gunicorn's and
            # Celery's children go too — all of them ours, and nothing else.
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def logs(self, lines: int = 40) -> str:
        parts = []
        for path in sorted(self.run_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)
