"""Process configuration, read once from the environment.

This is the one module that reads the environment: every process calls
``Config.from_env()`` once at start and hands the frozen ``Config`` (or the section it
needs) to whatever it builds. The variable names and defaults are listed in
docs/design.md "Configuration" so that operators have one table to read.

Settings every process shares sit on ``Config`` itself; those of one process only sit
in its section (``config.gateway``, ``config.core``, ``config.media``,
``config.dispatcher``, ``config.sandbox``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.common.egress_rules import EgressAllow, parse_allow

ALLOWED_SHARD_COUNTS = (1, 2, 4, 8, 16, 32)
API_KEY_MIN, API_KEY_MAX = 12, 128


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _optional_float(value: str | None) -> float | None:
    return float(value) if value else None


def _optional_int(value: str | None) -> int | None:
    return int(value) if value else None


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _api_key(value: str | None) -> str | None:
    # The original's bounds (spec §4.3): a short key is guessable, and refusing it at
    # start beats a monitoring key that silently never works.
    if not value:
        return None
    if not API_KEY_MIN <= len(value) <= API_KEY_MAX:
        raise ValueError(f"WA_API_KEY must be {API_KEY_MIN} to {API_KEY_MAX} characters long, got {len(value)}")
    return value


def _shard_list(value: str | None) -> tuple[int, ...] | None:
    # Checked against the shard count by the core at start, once it has read the count.
    if not value:
        return None
    return tuple(sorted({int(part) for part in value.split(",") if part.strip()}))


@dataclass(frozen=True)
class GatewayConfig:
    """Where gunicorn serves the API (services/api_gateway/gunicorn_conf.py)."""

    host: str = "127.0.0.1"
    port: int = 9090  # plain HTTP, bound only when allow_http
    https_port: int = 9443
    allow_http: bool = False
    workers: int = 2
    trusted_proxies: tuple[str, ...] = ()
    """CIDRs of reverse proxies whose ``X-Forwarded-For`` is believed (client_address.py)."""
    user_changes_per_hour: int = 60
    """Users created and passwords changed per client address and hour (throttle_rules.py)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewayConfig:
        defaults = cls()
        user_changes = int(env.get("WA_USER_CHANGES_PER_HOUR", defaults.user_changes_per_hour))
        if user_changes < 1:
            raise ValueError(f"WA_USER_CHANGES_PER_HOUR must be at least 1, got {user_changes}")
        return cls(
            host=env.get("WA_API_HOST", defaults.host),
            port=int(env.get("WA_API_PORT", defaults.port)),
            https_port=int(env.get("WA_API_HTTPS_PORT", defaults.https_port)),
            allow_http=_flag(env.get("WA_ALLOW_HTTP")),
            workers=int(env.get("WA_GATEWAY_WORKERS", defaults.workers)),
            trusted_proxies=_list(env.get("WA_TRUSTED_PROXIES")),
            user_changes_per_hour=user_changes,
        )


@dataclass(frozen=True)
class CoreConfig:
    """One core process: the shards it is pinned to and its lease timings (None: the
    defaults of services/cluster/lease_rules.py, bounded by the application settings)."""

    pinned_shards: tuple[int, ...] | None = None
    lease_renew_seconds: float | None = None
    lease_seconds: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CoreConfig:
        return cls(
            pinned_shards=_shard_list(env.get("WA_CORE_SHARDS")),
            lease_renew_seconds=_optional_float(env.get("WA_LEASE_RENEW_SECONDS")),
            lease_seconds=_optional_float(env.get("WA_LEASE_SECONDS")),
        )


@dataclass(frozen=True)
class MediaConfig:
    concurrency: int = 4  # the media worker's threads
    # A media link's download (services/media_service/link_download.py), enforced at the
    # socket: the whole of it, redirects included, and the slowest transfer tolerated (the
    # bytes of each window from the first byte on, averaged).
    download_deadline_seconds: float = 600.0  # 100 MB at about 170 KB/s
    download_min_bytes_per_second: int = 8 * 1024
    download_rate_window_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MediaConfig:
        defaults = cls()
        return cls(
            concurrency=int(env.get("WA_MEDIA_CONCURRENCY", defaults.concurrency)),
            download_deadline_seconds=float(
                env.get("WA_MEDIA_DOWNLOAD_DEADLINE_SECONDS", defaults.download_deadline_seconds)),
            download_min_bytes_per_second=int(
                env.get("WA_MEDIA_DOWNLOAD_MIN_BYTES_PER_SECOND", defaults.download_min_bytes_per_second)),
            download_rate_window_seconds=float(
                env.get("WA_MEDIA_DOWNLOAD_RATE_WINDOW_SECONDS", defaults.download_rate_window_seconds)),
        )


@dataclass(frozen=True)
class DispatcherConfig:
    # 6 is the default of the ``webhooks.max_concurrent_requests`` setting.
    concurrency: int = 6
    sweep_seconds: float = 5.0  # how often the sweep looks for callbacks whose kick was lost
    sweep_grace_seconds: float = 5.0  # how overdue a callback must be before it counts as lost
    metrics_port: int | None = None  # the Prometheus counters, on loopback, when set
    # The dispatcher's client certificate for webhooks that ask for one (mutual TLS).
    webhook_client_cert_file: Path | None = None
    webhook_client_key_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DispatcherConfig:
        defaults = cls()
        cert_file, key_file = env.get("WA_WEBHOOK_CLIENT_CERT_FILE"), env.get("WA_WEBHOOK_CLIENT_KEY_FILE")
        return cls(
            webhook_client_cert_file=Path(cert_file) if cert_file else None,
            webhook_client_key_file=Path(key_file) if key_file else None,
            concurrency=int(env.get("WA_DISPATCHER_CONCURRENCY", defaults.concurrency)),
            sweep_seconds=float(env.get("WA_DISPATCHER_SWEEP_SECONDS", defaults.sweep_seconds)),
            sweep_grace_seconds=float(env.get("WA_DISPATCHER_SWEEP_GRACE_SECONDS", defaults.sweep_grace_seconds)),
            metrics_port=_optional_int(env.get("WA_DISPATCHER_METRICS_PORT")),
        )


@dataclass(frozen=True)
class SandboxConfig:
    """The sandbox network (development and tests only); ``python -m sandbox``'s options
    override these."""

    host: str = "127.0.0.1"
    port: int = 9400
    state_file: str | None = None
    # As sandbox/network/media_store.py DEFAULT_MAX_TOTAL (1 GiB): all stored media together.
    media_max_bytes: int = 1024 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SandboxConfig:
        defaults = cls()
        return cls(
            host=env.get("SANDBOX_HOST", defaults.host),
            port=int(env.get("SANDBOX_PORT", defaults.port)),
            state_file=env.get("SANDBOX_STATE_FILE") or None,
            media_max_bytes=int(env.get("SANDBOX_MEDIA_MAX_BYTES", defaults.media_max_bytes)),
        )


@dataclass(frozen=True)
class Config:
    mongo_url: str = "mongodb://127.0.0.1:27117/?directConnection=true"
    mongo_db: str = "whatsapp"
    redis_url: str = "redis://127.0.0.1:16379/0"
    s3_endpoint: str = "127.0.0.1:19000"
    s3_access_key: str = "dev-access"
    s3_secret_key: str = "dev-secret-key"
    s3_secure: bool = False
    s3_bucket: str = "wamedia"
    network_url: str = "http://127.0.0.1:9400"
    key_file: Path = Path("var/keys/master.key")
    shards: int = 1
    allow_http_webhooks: bool = False
    token_ttl_seconds: int = 7 * 24 * 3600
    api_key: str | None = None
    api_version: str = "v2.45.1"
    webhook_timeout_seconds: float = 10.0
    egress_allow: EgressAllow = field(default_factory=EgressAllow)
    """``WA_EGRESS_ALLOW``: the internal hosts the server may connect to on a user's or an
    admin's behalf (media links, providers, the webhook); services/common/egress_rules.py."""
    tls_ca_bundle: str | None = None
    """``REQUESTS_CA_BUNDLE`` (else ``CURL_CA_BUNDLE``), the variables requests reads: the CA
    file media links and the webhook are verified with, since the egress sessions read
    nothing of the environment themselves (services/common/egress_http.py)."""
    log_level: str = "INFO"
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    core: CoreConfig = field(default_factory=CoreConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    dispatcher: DispatcherConfig = field(default_factory=DispatcherConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        shards = int(env.get("WA_SHARDS", defaults.shards))
        if shards not in ALLOWED_SHARD_COUNTS:
            raise ValueError(f"WA_SHARDS must be one of {ALLOWED_SHARD_COUNTS}, got {shards}")
        if env.get("WA_MASTER_KEY"):
            # Refused rather than ignored: ignoring it would start on a new, empty key file.
            raise ValueError("WA_MASTER_KEY is no longer read: keep the master key in a file named by "
                             "WA_KEY_FILE (docs/design.md \"Keys\")")
        return cls(
            mongo_url=env.get("WA_MONGO_URL", defaults.mongo_url),
            mongo_db=env.get("WA_MONGO_DB", defaults.mongo_db),
            redis_url=env.get("WA_REDIS_URL", defaults.redis_url),
            s3_endpoint=env.get("WA_S3_ENDPOINT", defaults.s3_endpoint),
            s3_access_key=env.get("WA_S3_ACCESS_KEY", defaults.s3_access_key),
            s3_secret_key=env.get("WA_S3_SECRET_KEY", defaults.s3_secret_key),
            s3_secure=_flag(env.get("WA_S3_SECURE")),
            s3_bucket=env.get("WA_S3_BUCKET", defaults.s3_bucket),
            network_url=env.get("WA_NETWORK_URL", defaults.network_url).rstrip("/"),
            key_file=Path(env.get("WA_KEY_FILE", str(defaults.key_file))),
            shards=shards,
            allow_http_webhooks=_flag(env.get("WA_ALLOW_HTTP_WEBHOOKS")),
            token_ttl_seconds=int(env.get("WA_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds)),
            api_key=_api_key(env.get("WA_API_KEY")),
            api_version=env.get("WA_API_VERSION", defaults.api_version),
            webhook_timeout_seconds=float(
                env.get("WA_WEBHOOK_TIMEOUT_SECONDS", defaults.webhook_timeout_seconds)
            ),
            egress_allow=parse_allow(env.get("WA_EGRESS_ALLOW")),
            tls_ca_bundle=env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or None,
            log_level=env.get("WA_LOG_LEVEL", defaults.log_level).upper(),
            gateway=GatewayConfig.from_env(env),
            core=CoreConfig.from_env(env),
            media=MediaConfig.from_env(env),
            dispatcher=DispatcherConfig.from_env(env),
            sandbox=SandboxConfig.from_env(env),
        )
