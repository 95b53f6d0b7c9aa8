"""``/v1/users`` request bodies and answers (spec §4.1, §4.2, §4.4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from services.message_types.fields import onprem_error
from services.users.password_rules import PASSWORD_POLICY_DETAILS, PASSWORD_SCHEMA, password_problem
from services.users.user_rules import USERNAME_SCHEMA, WireRole, username_problem


def _creatable(username: str) -> str:
    problem = username_problem(username)
    if problem is not None:
        raise onprem_error(1009, problem)
    return username


def _acceptable(password: object) -> object:
    # Before the type: a refused password, a number included, gets the policy's wording
    # and is never echoed back.
    if password_problem(password) is not None:
        raise onprem_error(1009, PASSWORD_POLICY_DETAILS)
    return password


NewUsername = Annotated[str, AfterValidator(_creatable), WithJsonSchema(USERNAME_SCHEMA)]
NewPassword = Annotated[str, BeforeValidator(_acceptable), WithJsonSchema(PASSWORD_SCHEMA)]


class LoginBody(BaseModel):
    # Unknown keys are ignored, as the original does; new_password must be a string.
    model_config = ConfigDict(extra="ignore", strict=True)

    new_password: NewPassword | None = None


class CreateUserBody(BaseModel):
    # As login's body: unknown keys ignored, values strings; the rules (user_rules.py,
    # password_rules.py) validate here, so the document says them.
    model_config = ConfigDict(extra="ignore", strict=True)

    username: NewUsername
    password: NewPassword


class UpdateUserBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    password: NewPassword


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
