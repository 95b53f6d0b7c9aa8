from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.api_gateway import users
from services.api_gateway.operations import Access, declared_access, declared_operation
from services.api_gateway.schemas.common import parse
from services.api_gateway.schemas.users import CreateUserBody, UpdateUserBody, UserAnswer, users_answer
from services.common.errors import ApiError


def test_create_takes_strings_and_ignores_unknown_keys():
    body = parse(CreateUserBody, {"username": "alice", "password": "x", "extra": 1})
    assert (body.username, body.password) == ("alice", "x")
    with pytest.raises(ApiError) as missing:
        parse(CreateUserBody, {"username": "alice"})
    assert missing.value.code == 1008
    with pytest.raises(ApiError) as not_a_string:
        parse(UpdateUserBody, {"password": 12345678})
    assert not_a_string.value.code == 1009


def test_the_role_key_is_roles_and_only_the_two_roles():
    answer = UserAnswer.model_validate({"users": [{"username": "alice", "ROLES": "ROLE_USER"}]})
    assert answer.model_dump(mode="json") == {"users": [{"username": "alice", "ROLES": "ROLE_USER"}]}
    with pytest.raises(ValidationError):
        UserAnswer.model_validate({"users": [{"username": "alice", "ROLES": "user"}]})
    assert users_answer("alice") == {"users": [{"username": "alice"}]}


@pytest.mark.parametrize("view, access", [
    (users.login, Access(basic=True)),
    (users.logout, Access()),
    (users.create_user, Access(admin=True)),
    (users.get_user, Access()),
    (users.update_user, Access()),
    (users.delete_user, Access(admin=True)),
])
def test_every_users_route_declares_what_it_answers_and_who_may_call(view, access):
    assert declared_access(view) == access
    declared = declared_operation(view)
    assert declared is not None and declared.answers
