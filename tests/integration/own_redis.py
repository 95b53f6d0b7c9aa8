"""A private Redis server a test may stop, flush and restart, without touching the
run's shared one (every other test uses that one at the same time)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.redis_server import RedisServer

START_TIMEOUT = 20.0


class OwnRedis:
    """Non-persistent, like the production choice that a restart empties the broker."""

    def __init__(self, run_dir: Path, port: int) -> None:
        self.server = RedisServer(run_dir, port, persistent=False)

    @property
    def url(self) -> str:
        return self.server.url()

    def start(self) -> None:
        self.server.launch()
        self.server.wait_ready(START_TIMEOUT)

    def stop(self) -> None:
        self.server.stop(timeout=10)
        # Nothing of the old instance may come back: a restart is an empty broker.
        shutil.rmtree(self.server.data_dir, ignore_errors=True)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    from infra.local_servers import Ports

    server = OwnRedis(tmp_path_factory.mktemp("own-redis"), Ports.free().redis)
    server.start()
    try:
        yield server
    finally:
        server.stop()
