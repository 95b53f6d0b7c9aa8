from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.common.openapi_check import CheckedFlaskClient
from tests.common.private_servers import PrivateRedis


@pytest.fixture(autouse=True)
def _answers_checked_against_openapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gateway test client checks each answer against the served OpenAPI document
    (tests/common/openapi_check.py), including the clients tests build themselves."""
    from services.api_gateway.app import GatewayFlask

    monkeypatch.setattr(GatewayFlask, "test_client_class", CheckedFlaskClient)


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """A Redis of the test's own, to stop, flush and restart (tests/common/private_servers.py)."""
    server = PrivateRedis(tmp_path_factory.mktemp("own-redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
