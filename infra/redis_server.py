"""Redis from the Debian `redis-server` package."""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from infra._server import HOST, ManagedServer
from infra.errors import MissingDependencyError


class RedisServer(ManagedServer):
    name = "redis"
    program = "redis-server"
    data_subdir = "redis"

    def __init__(self, run_dir: Path, port: int, persistent: bool) -> None:
        super().__init__(run_dir)
        self.port = port
        self.persistent = persistent

    def ports(self) -> list[int]:
        return [self.port]

    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def check_available(self) -> None:
        if shutil.which("redis-server") is None:
            raise MissingDependencyError(
                "redis-server is not installed: run `apt-get install -y redis-server` "
                "(or `python -m infra.ensure_packages`)"
            )

    def command(self) -> list[str]:
        durability = ["--appendonly", "yes"] if self.persistent else ["--save", "", "--appendonly", "no"]
        return [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--dir",
            str(self.data_dir),
            "--pidfile",
            str(self.pidfile),
            "--logfile",
            str(self.logfile),
            "--daemonize",
            "no",
            # Keep argv intact: ownership checks look for the run dir in /proc/<pid>/cmdline.
            "--set-proc-title",
            "no",
            *durability,
        ]

    def _launch(self) -> None:
        self._spawn(self.command())

    def _probe(self) -> bool:
        client = redis.Redis(host=HOST, port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            # Comparing pids proves we reached our server, not a stranger on the port.
            return int(client.info("server")["process_id"]) == self.pid()
        finally:
            client.close()
