"""Process configuration, read once from the environment.

Every service gets the same frozen ``Config``; the variable names and defaults are
listed in docs/design.md so that operators have one table to read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ALLOWED_SHARD_COUNTS = (1, 2, 4, 8, 16, 32)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


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
    master_key_b64: str | None = None
    shards: int = 1
    allow_http_webhooks: bool = False
    token_ttl_seconds: int = 7 * 24 * 3600
    api_key: str | None = None
    api_version: str = "v2.45.1"
    webhook_timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        shards = int(env.get("WA_SHARDS", defaults.shards))
        if shards not in ALLOWED_SHARD_COUNTS:
            raise ValueError(f"WA_SHARDS must be one of {ALLOWED_SHARD_COUNTS}, got {shards}")
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
            master_key_b64=env.get("WA_MASTER_KEY") or None,
            shards=shards,
            allow_http_webhooks=_flag(env.get("WA_ALLOW_HTTP_WEBHOOKS")),
            token_ttl_seconds=int(env.get("WA_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds)),
            api_key=env.get("WA_API_KEY") or None,
            api_version=env.get("WA_API_VERSION", defaults.api_version),
            webhook_timeout_seconds=float(
                env.get("WA_WEBHOOK_TIMEOUT_SECONDS", defaults.webhook_timeout_seconds)
            ),
        )
