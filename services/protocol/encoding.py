"""Strict base64 and canonical JSON shared by the serializers.

Every wire and storage format of the package is JSON with standard, padded base64 for
bytes. Decoding is strict so a value has exactly one accepted spelling.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import ProtocolError

U32_MAX = 0xFFFFFFFF


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(value: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise ProtocolError(f"{what}: expected a base64 string")
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ProtocolError(f"{what}: invalid base64") from exc
    if length is not None and len(data) != length:
        raise ProtocolError(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8")


def load_json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"{what}: not valid JSON") from exc
    return require_dict(obj, what)


def require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{what}: expected an object")
    return value


def require_keys(obj: dict[str, Any], what: str, required: set[str], optional: frozenset[str] = frozenset()) -> None:
    """Reject missing and unknown keys: unknown keys would be unauthenticated data."""
    missing = required - obj.keys()
    if missing:
        raise ProtocolError(f"{what}: missing {sorted(missing)}")
    unknown = obj.keys() - required - optional
    if unknown:
        raise ProtocolError(f"{what}: unknown keys {sorted(unknown)}")


def require_int(value: Any, what: str, minimum: int = 0, maximum: int = U32_MAX) -> int:
    # bool is an int subclass; JSON true must not pass as 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{what}: expected an integer")
    if not minimum <= value <= maximum:
        raise ProtocolError(f"{what}: out of range")
    return value


def require_optional_int(value: Any, what: str) -> int | None:
    return None if value is None else require_int(value, what)


def require_str(value: Any, what: str, max_length: int = 256) -> str:
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{what}: expected a non-empty string")
    if len(value) > max_length:
        raise ProtocolError(f"{what}: longer than {max_length} characters")
    return value
