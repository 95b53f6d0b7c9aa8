"""Two-step verification's answers to a PIN (spec §9.3), the same whether the network
refused a registration or the gateway checks a shard change."""

from __future__ import annotations

import hmac
from typing import Any

from services.common.errors import ApiError

PIN_REQUIRED = "Missing mandatory parameter 'pin': two-step verification is enabled for this number"
WRONG_PIN = "The two-step verification PIN is wrong"


def is_pin(value: Any) -> bool:
    """The PIN's form (spec §9.3): 6 ASCII digits; what the gateway accepts and a restore too."""
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


def pin_required() -> ApiError:
    return ApiError(1008, PIN_REQUIRED)


def wrong_pin() -> ApiError:
    # 1005 Access denied: the original's code for a registration it blocks.
    return ApiError(1005, WRONG_PIN)


def check_pin(enabled_pin: str | None, given: str | None) -> None:
    """Let ``given`` through when two-step verification is off (``enabled_pin`` None) or
    it is the PIN; else raise the original's refusal."""
    if enabled_pin is None:
        return
    if given is None:
        raise pin_required()
    if not hmac.compare_digest(enabled_pin.encode(), given.encode()):
        raise wrong_pin()
