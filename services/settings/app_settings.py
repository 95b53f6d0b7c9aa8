"""Application settings (`/v1/settings/application`, spec §14): the one declaration of
every setting, its validation and its storage.

``SETTINGS`` declares each setting once: its dotted path, its kind (type and bounds),
its default and whether it has an effect here. GET (the defaults under the stored
values), PATCH validation, DELETE and the settings table of docs/compatibility.md
(``markdown_table()``; ``python -m services.settings.app_settings`` prints it) all derive
from it.

MongoDB keeps only the values a user changed; readers merge them over the defaults,
so a new default reaches installations that never touched that setting.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from services.common.egress_rules import EgressAllow
from services.common.errors import ApiError
from services.message_types.registry import media_names
from services.settings.setting_kinds import (
    Boolean,
    IndexedUrls,
    OneOfNumbers,
    OneOfWords,
    PatchContext,
    Pattern,
    SubsetOf,
    WebhookUrl,
    WholeNumber,
    shown,
)

SETTINGS_ID = "application"


@dataclass(frozen=True)
class Setting:
    path: str  # dotted: "webhooks.message.sent"
    kind: Any  # a kind of services.settings.setting_kinds
    default: Any
    applied: bool  # True: this implementation acts on it; False: stored and returned only
    note: str  # what it does here, or why it is stored only


def _effect(path: str, kind: Any, default: Any, note: str) -> Setting:
    return Setting(path, kind, default, True, note)


def _stored_only(path: str, kind: Any, default: Any, why: str) -> Setting:
    return Setting(path, kind, default, False, why)


_BOOL = Boolean()
_SECONDS = WholeNumber(1, 3600, "seconds")
_RATE = WholeNumber(0, 1_000_000, "requests/s")
# A wa_id, or a group id "<creator wa_id>-<creation time>" (spec §13.2).
_PAGER = Pattern(r"\+?[0-9]{1,20}(-[0-9]{1,20})?", "a wa_id or a group id", max_length=64)
_ADDRESS = Pattern(r"[!-~]+", "printable ASCII without spaces (host:port)")
_NO_ENGINE = "crypto threading tuning of the original's engine; ours has no such threads"
_NO_GC = "no automatic media garbage collection: `PUT /v1/services/media/gc` collects on request"
_MESSAGE_GC = ("with `garbagecollector_enable.messages` and `db_garbagecollector_enable` both on, every core "
               "deletes, hourly, the finished messages older than 30 days (docs/design.md \"Message GC\")")
_NO_LIMITS = "the gateway has no such limit; 0 means not set"
_BACKLOG = WholeNumber(0, 1_000_000_000)


def _rate_limit(name: str, default: int, which: str) -> Setting:
    return _effect(f"{name}_api_rate_limit", _RATE, default,
                   f"requests/s to {which} across the gateway cluster, bursts to 3×; 0: no limit (429/1015)")

SETTINGS: tuple[Setting, ...] = (
    _effect("webhooks.url", WebhookUrl(), "",
            "where the dispatcher posts callbacks; none are lost while it is empty"),
    _stored_only("webhooks.max_concurrent_requests", OneOfNumbers((6, 12, 18, 24)), 6,
                 "requests in flight are set per dispatcher by WA_DISPATCHER_CONCURRENCY"),
    _effect("webhooks.message.sent", _BOOL, False, "`sent` status callbacks (also on with `sent_status`)"),
    _effect("webhooks.message.delivered", _BOOL, True, "`delivered` status callbacks"),
    _effect("webhooks.message.read", _BOOL, True, "`read` status callbacks"),
    _stored_only("callback_persist", _BOOL, True,
                 "callbacks are always kept in MongoDB until the webhook answers 200"),
    _effect("callback_backoff_delay_ms", WholeNumber(100, 900_000, "ms"), 3000,
            "linear retry step of failed callbacks"),
    _effect("max_callback_backoff_delay_ms", WholeNumber(100, 3_600_000, "ms"), 900_000,
            "retry delay cap of failed callbacks"),
    _effect("sent_status", _BOOL, False, "`sent` status callbacks (older switch)"),
    _stored_only("pass_through", _BOOL, False, "messages are kept in MongoDB, which is the history"),
    _effect("media.auto_download", SubsetOf(media_names()),
            ["image", "video", "voice", "sticker", "audio", "document"],
            "inbound media of these types is stored before its callback; the others on the first GET"),
    _effect("heartbeat_interval", _SECONDS, 5,
            "the core nodes renew their shard leases at least this often (1 s unless WA_LEASE_RENEW_SECONDS)"),
    _effect("unhealthy_interval", _SECONDS, 30,
            "a dead core node's shard leases run out within this (5 s unless WA_LEASE_SECONDS)"),
    _stored_only("on_call_pager", _PAGER, "", "no critical-error alerts are sent"),
    _effect("notify_user_change_number", _BOOL, True, "`customer_changed_number` system messages"),
    _effect("show_security_notifications", _BOOL, False,
            "`customer_identity_changed` system messages; sends to a changed identity fail (480) until acknowledged"),
    _effect("db_garbagecollector_enable", _BOOL, True, _MESSAGE_GC),
    _stored_only("garbagecollector_enable.media", _BOOL, False, _NO_GC),
    _effect("garbagecollector_enable.messages", _BOOL, True, _MESSAGE_GC),
    _stored_only("axolotl_context_striping_disabled", _BOOL, False, _NO_ENGINE),
    _stored_only("axolotl_context_striping_logical_core_multiplier", WholeNumber(1, 64), 1, _NO_ENGINE),
    _stored_only("skip_referral_media_download", _BOOL, False, "the network sends no referral media"),
    _effect("webhook_payload_conversation_pricingmodel_disabled", _BOOL, False,
            "true: status callbacks carry no `conversation` / `pricing`"),
    _stored_only("verbose_logging", _BOOL, False, "log verbosity is set per process by WA_LOG_LEVEL"),
    _stored_only("log_level", OneOfWords(("debug", "info", "warning", "error")), "info",
                 "log verbosity is set per process by WA_LOG_LEVEL"),
    # Hidden settings of the original (spec §14, §17.1).
    _stored_only("webcallbacks", IndexedUrls(), {}, "superseded by `webhooks.url`, the only URL posted to"),
    _stored_only("allow_nonexistent_users", _BOOL, False, "sends to unknown numbers fail with 1013 as in the original"),
    _stored_only("dogfood_user_limit", WholeNumber(0, 1_000_000_000), 0, "internal test-user limit; 0 means not set"),
    _stored_only("template_send_side_validation_disabled", _BOOL, False, "template checks are always on"),
    # The original's 50/s for sends is its capacity, not ours: off unless set (spec §17.1).
    _rate_limit("messaging", 0, "/v1/messages"),
    _rate_limit("contacts", 20, "/v1/contacts"),
    _rate_limit("control", 20, "every other endpoint (account, settings, users, media, …)"),
    _rate_limit("healthcheck", 20, "/v1/health, /v1/stats and /metrics"),
    _stored_only("contacts_scrape_rate_limit", _RATE, 0, _NO_LIMITS),
    _stored_only("unique_message_sends_rate_limit", _RATE, 0, _NO_LIMITS),
    # Older clients still send it; the gateway's address is set where it is started.
    _stored_only("tcp_listen_address", _ADDRESS, "", "the gateway listens where gunicorn is told to"),
    # Load shedding, an extension (spec §17.1's 503/1016): the original's callback queue held 100,000.
    _effect("load_shedding.max_pending_callbacks", _BACKLOG, 100_000,
            "sends answer 503/1016 while more callbacks than this wait for the webhook"),
    _effect("load_shedding.max_pending_messages", _BACKLOG, 100_000,
            "sends answer 503/1016 while more accepted messages than this wait to be sent"),
)

# Returned by GET, never stored: a PATCH may carry it (clients send back what they read)
# and it is ignored.
READ_ONLY = frozenset({"wa_id"})

BY_PATH: dict[str, Setting] = {setting.path: setting for setting in SETTINGS}
# Every proper prefix of a declared path is an object in the JSON.
_GROUPS = frozenset(
    ".".join(parts[:end]) for parts in (s.path.split(".") for s in SETTINGS) for end in range(1, len(parts))
)
if len(BY_PATH) != len(SETTINGS) or _GROUPS & BY_PATH.keys():
    raise RuntimeError("a setting is declared twice, or both as a value and as an object")


def _nest(dotted: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    nested = copy.deepcopy(base) if base is not None else {}
    for path, value in dotted.items():
        node = nested
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = copy.deepcopy(value)
    return nested


DEFAULTS: dict[str, Any] = _nest({setting.path: setting.default for setting in SETTINGS})


def _invalid(path: str, value: Any, reason: str) -> ApiError:
    return ApiError(1009, f"Parameter '{path}' has invalid value '{shown(value)}': {reason}")


def _collect(node: dict[str, Any], prefix: str, context: PatchContext, updates: dict[str, Any]) -> None:
    for key, value in node.items():
        path = f"{prefix}{key}"
        # null is "not sent", as the original's isset(); a read-only key is ignored.
        if value is None or path in READ_ONLY:
            continue
        # A dotted key would reach a nested setting by another spelling than the contract's.
        plain = "." not in key and "/" not in key
        setting = BY_PATH.get(path) if plain else None
        if setting is not None:
            try:
                updates[path] = setting.kind.parse(value, context)
            except ValueError as error:
                raise _invalid(path, value, str(error)) from None
        elif plain and path in _GROUPS:
            if not isinstance(value, dict):
                raise _invalid(path, value, "must be an object")
            _collect(value, f"{path}.", context, updates)
        else:
            # Unknown to every client we know of: a typo is better reported than dropped.
            raise ApiError(1009, f"Unknown parameter '{shown(path)}'")


def validate_patch(body: Any, *, allow_http_webhooks: bool, egress_allow: EgressAllow | None = None) -> dict[str, Any]:
    """Validate a PATCH body into dotted-path updates, or raise ApiError (1009).
    ``egress_allow``: ``WA_EGRESS_ALLOW`` (none: the policy's defaults alone)."""
    if not isinstance(body, dict):
        raise ApiError(1009, "No valid parameters provided")
    updates: dict[str, Any] = {}
    context = PatchContext(allow_http_webhooks=allow_http_webhooks, egress_allow=egress_allow or EgressAllow())
    _collect(body, "", context, updates)
    if not updates:
        raise ApiError(1009, "No valid parameters provided")
    return updates


def _stored(db: Database) -> dict[str, Any]:
    doc = db.settings.find_one({"_id": SETTINGS_ID}) or {}
    values = {path.replace("/", "."): value for path, value in doc.get("values", {}).items()}
    # A value stored under a path no longer declared is not part of the answer.
    return {path: value for path, value in values.items() if path in BY_PATH}


def load(db: Database) -> dict[str, Any]:
    """The effective settings: defaults with the stored changes on top."""
    return _nest(_stored(db), DEFAULTS)


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


def export_values(db: Database) -> dict[str, Any]:
    """The values a user changed, by dotted path, for a backup (the defaults are not:
    a restore onto a newer version gets that version's defaults)."""
    return _stored(db)


def restorable_values(values: Any, context: PatchContext) -> dict[str, Any]:
    """``export_values``' answer of another installation, each value checked as a PATCH
    checks it here (``context``: this installation's, so a webhook URL this one refuses
    is refused), without the paths this version no longer declares; ValueError otherwise."""
    if not isinstance(values, dict) or not all(isinstance(path, str) for path in values):
        raise ValueError("the backup's settings are unreadable")
    checked = {}
    for path, value in values.items():
        setting = BY_PATH.get(path)
        if setting is None:
            continue
        try:
            checked[path] = setting.kind.parse(value, context)
        except ValueError as error:
            raise ValueError(f"the backup's setting '{shown(path)}' is refused: {error}") from None
    return checked


def replace_values(db: Database, values: dict[str, Any]) -> None:
    """The stored values become ``values`` (``restorable_values``' answer)."""
    kept = {path.replace(".", "/"): value for path, value in values.items()}
    db.settings.replace_one({"_id": SETTINGS_ID}, {"_id": SETTINGS_ID, "values": kept}, upsert=True)


def status_callback_enabled(settings: dict[str, Any], status: str) -> bool:
    switches = settings["webhooks"]["message"]
    if status == "sent":
        return bool(switches.get("sent") or settings.get("sent_status"))
    if status in ("delivered", "read"):
        return bool(switches.get(status, True))
    return True


def pricing_in_status_callbacks(settings: dict[str, Any]) -> bool:
    """Whether status callbacks carry `conversation` / `pricing` (spec §14, deprecated switch)."""
    return not settings.get("webhook_payload_conversation_pricingmodel_disabled")


def _cell(value: Any) -> str:
    return f"`{json.dumps(value)}`"


def markdown_table() -> str:
    """The settings table of docs/compatibility.md, from ``SETTINGS``."""
    rows = ["| setting | type | default | here |", "|---|---|---|---|"]
    for setting in SETTINGS:
        here = f"effect: {setting.note}" if setting.applied else f"stored only ({setting.note})"
        rows.append(f"| `{setting.path}` | {setting.kind.describe()} | {_cell(setting.default)} | {here} |")
    rows.append("| `wa_id` | read-only | the registered number | GET only; ignored in a PATCH |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
