"""Application settings (`/v1/settings/application`): defaults, validation, storage.

MongoDB keeps only the values a user changed; readers merge them over the defaults,
so a new default reaches installations that never touched that setting.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pymongo.database import Database

from services.common.errors import ApiError

SETTINGS_ID = "application"

DEFAULTS: dict[str, Any] = {
    "callback_backoff_delay_ms": 3000,
    "callback_persist": True,
    "max_callback_backoff_delay_ms": 900000,
    "sent_status": False,
    "pass_through": False,
    "heartbeat_interval": 5,
    "unhealthy_interval": 30,
    "notify_user_change_number": True,
    "show_security_notifications": False,
    "media": {"auto_download": ["image", "video", "voice", "sticker", "audio", "document"]},
    "webhooks": {
        "url": "",
        "max_concurrent_requests": 6,
        "message": {"sent": False, "delivered": True, "read": True},
    },
    "verbose_logging": False,
    "log_level": "info",
}

MEDIA_TYPES = {"audio", "document", "voice", "video", "image", "sticker"}


class _Strict(BaseModel):
    # Booleans must be JSON booleans (spec §14), so no coercion from "true" or 1.
    model_config = ConfigDict(extra="forbid", strict=True)


class MessageWebhooks(_Strict):
    sent: bool | None = None
    delivered: bool | None = None
    read: bool | None = None


class Webhooks(_Strict):
    url: str | None = None
    max_concurrent_requests: int | None = Field(default=None)
    message: MessageWebhooks | None = None

    @field_validator("max_concurrent_requests")
    @classmethod
    def _concurrency(cls, value: int | None) -> int | None:
        if value is not None and value not in (6, 12, 18, 24):
            raise ValueError("must be one of 6, 12, 18, 24")
        return value


class Media(_Strict):
    auto_download: list[str] | None = None

    @field_validator("auto_download")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not set(value) <= MEDIA_TYPES:
            raise ValueError(f"must be a subset of {sorted(MEDIA_TYPES)}")
        return value


def _milliseconds(value: int | str | None, low: int, high: int) -> int | None:
    # The original accepts these as strings or integers.
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValueError("must be a whole number of milliseconds")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"must be between {low} and {high}")
    return number


class SettingsPatch(_Strict):
    callback_backoff_delay_ms: int | str | None = None
    max_callback_backoff_delay_ms: int | str | None = None
    callback_persist: bool | None = None
    sent_status: bool | None = None
    pass_through: bool | None = None
    heartbeat_interval: int | None = None
    unhealthy_interval: int | None = None
    notify_user_change_number: bool | None = None
    show_security_notifications: bool | None = None
    verbose_logging: bool | None = None
    log_level: str | None = None
    media: Media | None = None
    webhooks: Webhooks | None = None

    @field_validator("callback_backoff_delay_ms")
    @classmethod
    def _step(cls, value: int | str | None) -> int | None:
        return _milliseconds(value, 100, 900000)

    @field_validator("max_callback_backoff_delay_ms")
    @classmethod
    def _cap(cls, value: int | str | None) -> int | None:
        return _milliseconds(value, 100, 3600000)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None and value not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value


def _flatten(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(f"{path}.", value))
        else:
            flat[path] = value
    return flat


def _first_error(error: ValidationError) -> ApiError:
    item = error.errors()[0]
    path = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return ApiError(1009, f"Unknown parameter '{path}'")
    value = item.get("input")
    return ApiError(1009, f"Parameter '{path}' has invalid value '{value}': {item['msg']}")


def validate_patch(body: Any, *, allow_http_webhooks: bool) -> dict[str, Any]:
    """Validate a PATCH body into dotted-path updates, or raise ApiError (1009)."""
    if not isinstance(body, dict) or not body:
        raise ApiError(1009, "No valid parameters provided")
    try:
        patch = SettingsPatch.model_validate(body)
    except ValidationError as error:
        raise _first_error(error) from None
    updates = _flatten("", patch.model_dump(exclude_none=True))
    if not updates:
        raise ApiError(1009, "No valid parameters provided")
    url = updates.get("webhooks.url")
    if url:
        check_webhook_url(url, allow_http=allow_http_webhooks)
    return updates


def check_webhook_url(url: str, *, allow_http: bool) -> None:
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and loopback and allow_http:
        return
    raise ApiError(1009, f"Parameter 'webhooks.url' has invalid value '{url}': HTTPS required")


def _merge(base: dict[str, Any], dotted: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for path, value in dotted.items():
        node = merged
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return merged


def _stored(db: Database) -> dict[str, Any]:
    doc = db.settings.find_one({"_id": SETTINGS_ID}) or {}
    return {path.replace("/", "."): value for path, value in doc.get("values", {}).items()}


def load(db: Database) -> dict[str, Any]:
    """The effective settings: defaults with the stored changes on top."""
    return _merge(DEFAULTS, _stored(db))


def apply_patch(db: Database, updates: dict[str, Any]) -> None:
    # Dotted keys are stored flat under "values" with '.' mapped to '/', because
    # MongoDB field names should not contain dots.
    db.settings.update_one(
        {"_id": SETTINGS_ID},
        {"$set": {f"values.{path.replace('.', '/')}": v for path, v in updates.items()}},
        upsert=True,
    )


def reset(db: Database) -> None:
    db.settings.delete_one({"_id": SETTINGS_ID})


def status_callback_enabled(settings: dict[str, Any], status: str) -> bool:
    switches = settings["webhooks"]["message"]
    if status == "sent":
        return bool(switches.get("sent") or settings.get("sent_status"))
    if status in ("delivered", "read"):
        return bool(switches.get(status, True))
    return True
