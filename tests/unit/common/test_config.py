"""``Config.from_env``: every variable of docs/design.md "Configuration", its default,
and the rule that no other module of services/ or sandbox/ reads the environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.network.media_store import DEFAULT_MAX_TOTAL
from services.common.config import (
    Config,
    CoreConfig,
    DispatcherConfig,
    GatewayConfig,
    MediaConfig,
    SandboxConfig,
)

REPO = Path(__file__).resolve().parents[3]


def test_defaults_with_an_empty_environment():
    config = Config.from_env({})
    assert config == Config()
    assert config.log_level == "INFO"
    assert config.gateway == GatewayConfig(host="127.0.0.1", port=9090, https_port=9443, allow_http=False,
                                           workers=2)
    assert config.core == CoreConfig(pinned_shards=None, lease_renew_seconds=None, lease_seconds=None)
    assert config.media == MediaConfig(concurrency=4)
    assert config.dispatcher == DispatcherConfig(concurrency=6, sweep_seconds=5.0, sweep_grace_seconds=5.0,
                                                 metrics_port=None, webhook_client_cert_file=None,
                                                 webhook_client_key_file=None)
    assert config.sandbox == SandboxConfig(host="127.0.0.1", port=9400, state_file=None,
                                           media_max_bytes=DEFAULT_MAX_TOTAL)


def test_every_process_setting_is_read():
    config = Config.from_env({
        "WA_LOG_LEVEL": "debug",
        "WA_API_HOST": "0.0.0.0", "WA_API_PORT": "8080", "WA_API_HTTPS_PORT": "8443", "WA_ALLOW_HTTP": "1",
        "WA_GATEWAY_WORKERS": "5",
        "WA_CORE_SHARDS": "3, 1,1", "WA_LEASE_RENEW_SECONDS": "0.5", "WA_LEASE_SECONDS": "2.5",
        "WA_MEDIA_CONCURRENCY": "8",
        "WA_DISPATCHER_CONCURRENCY": "12", "WA_DISPATCHER_SWEEP_SECONDS": "0.5",
        "WA_DISPATCHER_SWEEP_GRACE_SECONDS": "1.5", "WA_DISPATCHER_METRICS_PORT": "9102",
        "WA_WEBHOOK_CLIENT_CERT_FILE": "/etc/wa/client.pem", "WA_WEBHOOK_CLIENT_KEY_FILE": "/etc/wa/client.key",
        "SANDBOX_HOST": "0.0.0.0", "SANDBOX_PORT": "9500", "SANDBOX_STATE_FILE": "/tmp/state.json",
        "SANDBOX_MEDIA_MAX_BYTES": "1000",
    })
    assert config.log_level == "DEBUG"
    assert config.gateway == GatewayConfig(host="0.0.0.0", port=8080, https_port=8443, allow_http=True, workers=5)
    assert config.core == CoreConfig(pinned_shards=(1, 3), lease_renew_seconds=0.5, lease_seconds=2.5)
    assert config.media == MediaConfig(concurrency=8)
    assert config.dispatcher == DispatcherConfig(concurrency=12, sweep_seconds=0.5, sweep_grace_seconds=1.5,
                                                 metrics_port=9102,
                                                 webhook_client_cert_file=Path("/etc/wa/client.pem"),
                                                 webhook_client_key_file=Path("/etc/wa/client.key"))
    assert config.sandbox == SandboxConfig(host="0.0.0.0", port=9500, state_file="/tmp/state.json",
                                           media_max_bytes=1000)


def test_empty_optional_values_mean_unset():
    config = Config.from_env({"WA_CORE_SHARDS": "", "WA_LEASE_RENEW_SECONDS": "", "WA_LEASE_SECONDS": "",
                              "WA_DISPATCHER_METRICS_PORT": "", "SANDBOX_STATE_FILE": "",
                              "WA_MASTER_KEY": "", "WA_API_KEY": ""})
    assert config.core == CoreConfig()
    assert config.dispatcher.metrics_port is None
    assert config.sandbox.state_file is None
    assert config.api_key is None


def test_shared_settings_are_read():
    config = Config.from_env({
        "WA_MONGO_URL": "mongodb://db/", "WA_MONGO_DB": "wa", "WA_REDIS_URL": "redis://r/2",
        "WA_S3_ENDPOINT": "s3:9000", "WA_S3_ACCESS_KEY": "a", "WA_S3_SECRET_KEY": "s", "WA_S3_SECURE": "yes",
        "WA_S3_BUCKET": "b", "WA_NETWORK_URL": "http://net/", "WA_KEY_FILE": "/k",
        "WA_SHARDS": "4", "WA_ALLOW_HTTP_WEBHOOKS": "1", "WA_TOKEN_TTL_SECONDS": "60", "WA_API_KEY": "k" * 12,
        "WA_API_VERSION": "v9", "WA_WEBHOOK_TIMEOUT_SECONDS": "2.5",
    })
    assert (config.mongo_url, config.mongo_db, config.redis_url) == ("mongodb://db/", "wa", "redis://r/2")
    assert (config.s3_endpoint, config.s3_access_key, config.s3_secret_key, config.s3_secure, config.s3_bucket) == (
        "s3:9000", "a", "s", True, "b")
    assert config.network_url == "http://net"
    assert (str(config.key_file), config.shards) == ("/k", 4)
    assert (config.allow_http_webhooks, config.token_ttl_seconds, config.api_key) == (True, 60, "k" * 12)
    assert (config.api_version, config.webhook_timeout_seconds) == ("v9", 2.5)


def test_a_master_key_in_the_environment_is_refused():
    with pytest.raises(ValueError, match="WA_KEY_FILE"):
        Config.from_env({"WA_MASTER_KEY": "bWs="})


@pytest.mark.parametrize("length", [11, 129])
def test_an_api_key_outside_12_to_128_characters_is_refused_at_start(length):
    with pytest.raises(ValueError, match="WA_API_KEY must be 12 to 128 characters long"):
        Config.from_env({"WA_API_KEY": "k" * length})


@pytest.mark.parametrize("length", [12, 128])
def test_an_api_key_of_12_to_128_characters_is_kept(length):
    assert Config.from_env({"WA_API_KEY": "k" * length}).api_key == "k" * length


def test_user_changes_per_hour_is_read_and_must_be_positive():
    assert Config.from_env({}).gateway.user_changes_per_hour == 60
    assert Config.from_env({"WA_USER_CHANGES_PER_HOUR": "5"}).gateway.user_changes_per_hour == 5
    with pytest.raises(ValueError, match="WA_USER_CHANGES_PER_HOUR"):
        Config.from_env({"WA_USER_CHANGES_PER_HOUR": "0"})


def test_trusted_proxies_are_a_list_of_cidrs():
    config = Config.from_env({"WA_TRUSTED_PROXIES": " 10.0.0.0/8, ,fd00::/8"})
    assert config.gateway.trusted_proxies == ("10.0.0.0/8", "fd00::/8")
    assert Config.from_env({}).gateway.trusted_proxies == ()


def test_a_shard_count_outside_the_allowed_ones_is_refused():
    with pytest.raises(ValueError, match="WA_SHARDS"):
        Config.from_env({"WA_SHARDS": "3"})


def test_every_variable_is_in_the_design_table_once():
    source = (REPO / "services/common/config.py").read_text()
    read = set(re.findall(r'env\.get\("((?:WA|SANDBOX)_[A-Z_]+)"', source))
    section = (REPO / "docs/design.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    # The first column of the variable table's rows.
    names = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    listed = [name for cell in names for name in re.findall(r"`((?:WA|SANDBOX)_[A-Z_]+)`", cell)]
    assert sorted(set(listed)) == sorted(read)
    assert len(listed) == len(set(listed))


def test_no_other_module_reads_the_environment():
    readers = [
        str(path.relative_to(REPO))
        for folder in ("services", "sandbox")
        for path in (REPO / folder).rglob("*.py")
        if re.search(r"os\.environ|getenv", path.read_text())
    ]
    assert readers == ["services/common/config.py"]


def test_importing_a_process_reads_no_environment():
    # An environment Config.from_env refuses: an import that read it would fail.
    code = ("import services.core_worker.__main__, services.media_service.__main__, "
            "services.webhook_dispatcher.__main__, services.webhook_dispatcher.tasks")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={"WA_SHARDS": "3", "PATH": ""},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_egress_settings():
    from services.common.egress_rules import EgressAllow, parse_allow

    config = Config.from_env({"WA_EGRESS_ALLOW": "127.0.0.1:8080, 10.0.0.0/8",
                              "WA_MEDIA_DOWNLOAD_DEADLINE_SECONDS": "3", "REQUESTS_CA_BUNDLE": "/etc/ca.pem"})
    assert config.egress_allow == parse_allow("127.0.0.1:8080,10.0.0.0/8")
    assert config.media.download_deadline_seconds == 3.0 and config.tls_ca_bundle == "/etc/ca.pem"
    defaults = Config.from_env({})
    assert defaults.egress_allow == EgressAllow() and defaults.tls_ca_bundle is None
    assert (defaults.media.download_deadline_seconds, defaults.media.download_min_bytes_per_second,
            defaults.media.download_rate_window_seconds) == (600.0, 8192, 30.0)
    with pytest.raises(ValueError, match="WA_EGRESS_ALLOW"):
        Config.from_env({"WA_EGRESS_ALLOW": "hooks.internal"})
