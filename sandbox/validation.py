"""Small request-body checks that raise 400 ApiErrors."""

from __future__ import annotations

import re
from typing import Any

from sandbox.errors import bad_request

_DIGITS = re.compile(r"^[0-9]+$")


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def require_str(body: dict[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = body.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise bad_request(f"'{key}' must be a non-empty string")
    return value


def require_digits(body: dict[str, Any], key: str, min_len: int = 1, max_len: int = 15) -> str:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.match(value) or not min_len <= len(value) <= max_len:
        raise bad_request(f"'{key}' must be a string of {min_len}-{max_len} digits")
    return value


def is_wa_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_DIGITS.match(value)) and 5 <= len(value) <= 20


def optional_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{key}' must be a boolean")
    return value
