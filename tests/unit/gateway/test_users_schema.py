from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from services.api_gateway import users
from services.api_gateway.operations import Access, declared_access, declared_operation
from services.api_gateway.schemas.common import parse
from services.api_gateway.schemas.users import CreateUserBody, UpdateUserBody, UserAnswer, users_answer
from services.common.errors import ApiError
from services.users.password_rules import PASSWORD_POLICY_DETAILS, password_problem
from services.users.user_rules import USERNAME_DETAILS, username_problem

STRONG = "Str0ng!pass"
NAMES = ["alice", "al.b-2_~", "abc", "a" * 32, "a" * 33, "al ice", "al/ice", "alïce", "apikey", "ApiKey", ""]
PASSWORDS = [STRONG, "weakpass", "Sh0rt!", "N0special", "n0upper!x", "N0LOWER!X", "NoDigit!x",
             "Aa1!" + "x" * 60, "Aa1!" + "x" * 61, "Aa1!\nxyzw", "Aa1]^-\\zz"]


def test_create_takes_strings_and_ignores_unknown_keys():
    body = parse(CreateUserBody, {"username": "alice", "password": STRONG, "extra": 1})
    assert (body.username, body.password) == ("alice", STRONG)
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


@pytest.mark.parametrize("username", ["abc", "al/ice", "alïce", "ApiKey"])
def test_the_models_refuse_a_name_that_cannot_be_created_with_its_wording(username):
    with pytest.raises(ApiError) as refused:
        parse(CreateUserBody, {"username": username, "password": STRONG})
    assert refused.value.code == 1009
    assert refused.value.details == username_problem(username)


@pytest.mark.parametrize("model, extra", [(CreateUserBody, {"username": "alice"}), (UpdateUserBody, {})])
def test_the_models_refuse_a_weak_password_without_echoing_it(model, extra):
    with pytest.raises(ApiError) as refused:
        parse(model, {**extra, "password": 12345678})
    assert "12345678" not in refused.value.details
    with pytest.raises(ApiError) as refused:
        parse(model, {**extra, "password": "weakpass"})
    assert (refused.value.code, refused.value.details) == (1009, PASSWORD_POLICY_DETAILS)


def test_the_document_says_the_rules_the_models_apply():
    create = CreateUserBody.model_json_schema()["properties"]
    assert create["username"]["description"] == USERNAME_DETAILS
    username_schema = Draft202012Validator(create["username"])
    password_schema = Draft202012Validator(UpdateUserBody.model_json_schema()["properties"]["password"])
    for name in NAMES:
        assert username_schema.is_valid(name) == (username_problem(name) is None), name
    for password in PASSWORDS:
        assert password_schema.is_valid(password) == (password_problem(password) is None), password
