"""``POST /v1/settings/account/two-step`` body (spec §9.3) and the PIN's form, which
registration (§9.4) and shards (§9.5) check too."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.account.two_step_rules import is_pin
from services.api_gateway.schemas.common import parse, require_object
from services.common.errors import ApiError, missing

PIN_PATTERN = r"^[0-9]{6}$"
EMPTY_PIN = "Pin must not be empty"
BAD_PIN = "Parameter 'pin' has invalid value: it must be 6 digits"  # the PIN is never echoed


class TwoStepBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    pin: str = Field(pattern=PIN_PATTERN, description="The 6-digit two-step verification PIN")


def check_pin(value: Any) -> str | None:
    """``value`` as a PIN (None when absent); 1009 when it is not 6 ASCII digits."""
    if value is None:
        return None
    if value == "":
        raise ApiError(1009, EMPTY_PIN)
    if not is_pin(value):
        raise ApiError(1009, BAD_PIN)
    return str(value)


def validate_two_step(body: Any) -> TwoStepBody:
    data = require_object(body)
    if check_pin(data.get("pin")) is None:
        raise missing("pin")
    return parse(TwoStepBody, data)
