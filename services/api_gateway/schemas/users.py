"""``POST /v1/users/login`` body (spec §4.1)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LoginBody(BaseModel):
    # Unknown keys are ignored, as the original does; new_password must be a string.
    model_config = ConfigDict(extra="ignore", strict=True)

    new_password: str | None = None
