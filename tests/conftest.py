"""Shared fixtures: one isolated set of real servers for the whole test run.

Unit tests never touch these fixtures; integration and end-to-end tests ask for
``servers_env`` (the WA_* variables pointing at real Redis, MongoDB and S3 on free
ports with temporary data) and get the same servers for the whole session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def servers_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from infra.local_servers import LocalServers, Ports

    run_dir = tmp_path_factory.mktemp("servers")
    servers = LocalServers(run_dir=run_dir, ports=Ports.free(), persistent=False)
    servers.start()
    try:
        env = dict(servers.env())
        env["WA_MONGO_DB"] = "whatsapp_test"
        env["WA_KEY_FILE"] = str(run_dir / "master.key")
        # Production behaviour unless a test asks otherwise, whatever the shell exported.
        env["WA_ALLOW_HTTP_WEBHOOKS"] = "0"
        env["WA_EGRESS_ALLOW"] = ""
        yield env
    finally:
        servers.stop()


@pytest.fixture
def config(servers_env: dict[str, str]):
    from services.common.config import Config

    return Config.from_env({**os.environ, **servers_env})


@pytest.fixture(scope="session")
def indexed_database(servers_env: dict[str, str]):
    """The session's database, indexed once (tests/common/databases.py)."""
    from services.common.config import Config
    from services.common.mongo import get_db
    from services.migrations.indexes import ensure_all
    from tests.common.databases import IndexedDatabase

    indexed = IndexedDatabase(get_db(Config.from_env({**os.environ, **servers_env})), ensure_all)
    indexed.prepare()
    return indexed


@pytest.fixture
def db(indexed_database):
    """A clean database per test: empty, with every index, and nothing a test before added."""
    return indexed_database.reset()
