"""Servers of one test module only, which its tests stop, pause and restart without
touching the run's shared ones (every other test uses those at the same time).

Started on free ports with infra's launchers and stopped by their pidfiles. The MongoDB
keeps its data across a restart; the Redis is not persistent, like the production
broker, so a restart empties it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from infra.credentials import Credentials
from infra.local_servers import Ports
from infra.mongo_server import MongoServer
from infra.redis_server import RedisServer

START_TIMEOUT = 60.0

Server = MongoServer | RedisServer


class PrivateServers:
    def __init__(self, run_dir: Path, *, mongo: bool = True) -> None:
        ports = Ports.free()
        # Authenticated, as the run's shared servers (infra/credentials.py).
        credentials = Credentials.load_or_create(run_dir)
        self.mongo = MongoServer(run_dir, ports.mongo, credentials) if mongo else None
        self.redis = RedisServer(run_dir, ports.redis, persistent=False, password=credentials.redis_password)
        self._paused: set[int] = set()

    def servers(self) -> list[Server]:
        return [server for server in (self.mongo, self.redis) if server is not None]

    def start(self, server: Server) -> None:
        server.launch()
        server.wait_ready(START_TIMEOUT)

    def stop(self, server: Server) -> None:
        server.stop(timeout=20)

    def restart(self, server: Server) -> None:
        self.stop(server)
        self.start(server)

    def pause(self, server: Server) -> None:
        """SIGSTOP: up but silent, as a hung VM or a network partition looks."""
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        self._paused.add(pid)

    def resume_all(self) -> None:
        for pid in self._paused:
            os.kill(pid, signal.SIGCONT)
        self._paused.clear()

    def ensure_running(self) -> None:
        self.resume_all()
        for server in self.servers():
            if server.pid() is None:
                self.start(server)

    def stop_all(self) -> None:
        self.resume_all()
        for server in self.servers():
            self.stop(server)


class PrivateRedis:
    """Only a Redis: what most of these tests need."""

    def __init__(self, run_dir: Path) -> None:
        self.servers = PrivateServers(run_dir, mongo=False)

    @property
    def url(self) -> str:
        return self.servers.redis.url()

    def start(self) -> None:
        self.servers.start(self.servers.redis)

    def stop(self) -> None:
        self.servers.stop(self.servers.redis)

    def restart(self) -> None:
        self.servers.restart(self.servers.redis)
