"""``POST /v1/messages`` and ``PUT /v1/messages/{id}`` bodies (spec §6, §19 item 2).

Hand-written rather than a pydantic model because the original checks fields in a
fixed order and each failure has its own code and wording:

required ``to`` → ``type`` in the allowed set → ``recipient_type`` → boolean
``preview_url`` / ``render_mentions`` → ``ttl`` not empty → exactly one type object →
per-type rules (text: ``body`` mandatory, non-empty, at most 4096 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.api_gateway.schemas.common import require_object
from services.common.errors import ApiError, invalid, missing, not_required

MESSAGE_TYPES = (
    "text", "image", "audio", "video", "document", "location", "contacts",
    "template", "hsm", "interactive", "sticker", "reaction",
)
SUPPORTED_TYPES = ("text",)
MAX_TEXT_LENGTH = 4096
TEXT_FIELDS = {"body", "preview_url"}

# Phone numbers are accepted with '+', spaces, dashes, dots and parentheses (v2.39.1+).
_PHONE_CHARACTERS = re.compile(r"^[0-9+\-\s().]+$")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


@dataclass(frozen=True)
class SendRequest:
    wa_id: str
    type: str
    content: dict[str, Any] = field(default_factory=dict)


def normalize_recipient(value: object) -> str:
    """Digits of ``to``; 1009 when it is not a phone number or wa_id."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise invalid("to", value)
    text = str(value).strip()
    digits = "".join(c for c in text if c.isdigit())
    if not digits or not _PHONE_CHARACTERS.match(text) or len(digits) > 20:
        raise invalid("to", value)
    return digits


def ttl_seconds(value: object) -> int:
    """``ttl`` as seconds: an ISO-8601 duration (``P1D``) or seconds (string or int)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(1009, "Empty TTL value not allowed")
    if isinstance(value, bool):
        raise invalid("ttl", value)
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    elif isinstance(value, str) and (match := _ISO_DURATION.match(value.strip())) and value.strip() != "P":
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    else:
        raise invalid("ttl", value)
    if seconds <= 0:
        raise invalid("ttl", value)
    return seconds


def validate_send(body: Any) -> SendRequest:
    data = require_object(body)

    # 1. required `to`
    to = data.get("to")
    if to is None or to == "":
        raise missing("to")
    wa_id = normalize_recipient(to)

    # 2. `type` in the allowed set
    message_type = data.get("type", "text")
    if not isinstance(message_type, str) or message_type not in MESSAGE_TYPES:
        raise invalid("type", message_type)

    # 3. `recipient_type`
    recipient_type = data.get("recipient_type", "individual")
    if recipient_type == "group":
        raise ApiError(1009, "Parameter 'recipient_type' has invalid value 'group': groups are not supported")
    if recipient_type != "individual":
        raise ApiError(1002, f"Parameter 'recipient_type' has invalid value '{recipient_type}'")

    # 4. booleans
    for name in ("preview_url", "render_mentions"):
        if name in data and not isinstance(data[name], bool):
            raise invalid(name, data[name])

    # 5. ttl
    ttl = ttl_seconds(data["ttl"]) if "ttl" in data else None

    # 6. exactly one type object: one named after another type is not required
    for other in MESSAGE_TYPES:
        if other != message_type and other in data:
            raise not_required(other, message_type)

    # 7. per-type rules
    if message_type not in SUPPORTED_TYPES:
        raise ApiError(1009, f"Parameter 'type' has invalid value '{message_type}': not supported yet")
    content = _text_content(data)
    if ttl is not None:
        content["ttl"] = ttl
    return SendRequest(wa_id=wa_id, type=message_type, content=content)


def _text_content(data: dict[str, Any]) -> dict[str, Any]:
    text = data.get("text")
    if text is None:
        raise ApiError(1008, "Parameter 'text' is mandatory for type 'text'")
    if not isinstance(text, dict):
        raise invalid("text", text)
    for name in text:
        if name not in TEXT_FIELDS:
            raise not_required(f"text.{name}", "text")
    body = text.get("body")
    if body is None:
        raise ApiError(1008, "Parameter 'text.body' is mandatory for type 'text'")
    if not isinstance(body, str) or not body.strip():
        raise invalid("text.body", body)
    if len(body) > MAX_TEXT_LENGTH:
        raise ApiError(1001, f"Text body must be at most {MAX_TEXT_LENGTH} characters, got {len(body)}")
    # On-Prem has preview_url at the top level; the Cloud API's text.preview_url is accepted too.
    preview = data.get("preview_url", text.get("preview_url", False))
    if not isinstance(preview, bool):
        raise invalid("text.preview_url", preview)
    return {"text": {"body": body}, "preview_url": preview}


def validate_mark_read(body: Any) -> str:
    data = require_object(body)
    if "status" not in data or data["status"] in (None, ""):
        raise missing("status")
    if data["status"] != "read":
        raise invalid("status", data["status"])
    return "read"
