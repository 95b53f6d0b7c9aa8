from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.common.private_servers import PrivateRedis


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """A Redis of the test's own, to stop, flush and restart (tests/common/private_servers.py)."""
    server = PrivateRedis(tmp_path_factory.mktemp("own-redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
