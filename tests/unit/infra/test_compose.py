"""The compose stack cannot run here (no Docker engine): its file is checked by reading."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[3] / "infra" / "docker-compose.yml"
APPS = ("gateway", "core", "media", "dispatcher")
MEMBERS = ("mongo1", "mongo2", "mongo3")


def _stack() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_processes_connect_with_credentials_to_every_member():
    for name in APPS:
        env = _stack()["services"][name]["environment"]
        assert env["WA_MONGO_URL"].startswith("mongodb://${MONGO_USER:?set MONGO_USER}:${MONGO_PASSWORD:?")
        assert "@mongo1:27017,mongo2:27017,mongo3:27017/?replicaSet=rs0&authSource=admin" in env["WA_MONGO_URL"]
        assert env["WA_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")


def test_every_member_requires_the_shared_key_and_the_set_has_three():
    services = _stack()["services"]
    for name in MEMBERS:
        assert "--keyFile /data/keyfile" in services[name]["entrypoint"][-1], name
        assert services[name]["secrets"] == ["mongo-keyfile"]
    initiation = " ".join(services["mongo1"]["healthcheck"]["test"])
    assert re.findall(r"host: '(mongo\d):27017'", initiation) == list(MEMBERS)


def test_redis_requires_its_password_without_putting_it_on_a_command_line():
    redis = _stack()["services"]["redis"]
    script = redis["entrypoint"][-1]
    assert "requirepass" in script and "exec redis-server /tmp/redis.conf" in script
    assert "--requirepass" not in script


def test_no_password_is_written_in_the_file():
    text = COMPOSE.read_text()
    # Each secret-holding setting takes its value from the environment (.env), nowhere else.
    secret_settings = re.findall(r"^\s*([A-Z0-9_]*(?:PASSWORD|SECRET_KEY|MASTER_KEY|AUTH)):\s*(.*)$", text, re.M)
    assert len(secret_settings) >= 5
    for name, value in secret_settings:
        assert value.startswith("${"), name
