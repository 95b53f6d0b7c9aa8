"""``/v1/users`` request bodies and answers (spec §4.1, §4.2, §4.4)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from services.users.user_rules import WireRole


class LoginBody(BaseModel):
    # Unknown keys are ignored, as the original does; new_password must be a string.
    model_config = ConfigDict(extra="ignore", strict=True)

    new_password: str | None = None


class CreateUserBody(BaseModel):
    # As login's body: unknown keys ignored, values strings (the rules: user_rules.py,
    # password_rules.py).
    model_config = ConfigDict(extra="ignore", strict=True)

    username: str
    password: str


class UpdateUserBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    password: str


class LoginToken(BaseModel):
    token: str
    expires_after: str  # ``YYYY-MM-DD HH:MM:SS+00:00``, UTC


class LoginAnswer(BaseModel):
    users: list[LoginToken]


class UserName(BaseModel):
    username: str


class UsersAnswer(BaseModel):
    users: list[UserName]


class UserWithRole(BaseModel):
    username: str
    ROLES: WireRole  # the original's key, literally


class UserAnswer(BaseModel):
    users: list[UserWithRole]


def users_answer(username: str) -> dict:
    """``{"users": [{"username"}]}``, the answer of create, update and delete."""
    return UsersAnswer(users=[UserName(username=username)]).model_dump(mode="json")
