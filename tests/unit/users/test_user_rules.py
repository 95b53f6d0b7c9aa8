from __future__ import annotations

import pytest

from services.users.user_rules import (
    RESERVED_DETAILS,
    USERNAME_DETAILS,
    may_manage,
    role_on_wire,
    username_problem,
)


@pytest.mark.parametrize("name", ["abcd", "a" * 32, "Alice.B-2_~", "1234"])
def test_names_of_4_to_32_url_safe_characters_are_accepted(name):
    assert username_problem(name) is None


@pytest.mark.parametrize("name", ["abc", "a" * 33, "", "al ice", "al/ice", "al%20ice", "alïce", "a+bcd", "a(bc)",
                                  "al:ce", "ali\x00e"])
def test_short_long_or_url_encoded_names_are_refused(name):
    assert username_problem(name) == USERNAME_DETAILS


@pytest.mark.parametrize("name", ["apikey", "APIKEY", "ApiKey"])
def test_the_api_keys_name_is_reserved_in_any_case(name):
    assert username_problem(name) == RESERVED_DETAILS


def test_only_the_admins_role_reads_role_admin():
    assert role_on_wire("admin", "admin") == "ROLE_ADMIN"
    assert role_on_wire("user", "admin") == "ROLE_USER"
    assert role_on_wire("anything else", "admin") == "ROLE_USER"


def test_a_user_manages_itself_and_the_admin_everyone():
    assert may_manage("alice", False, "alice")
    assert not may_manage("alice", False, "bobby")
    assert not may_manage("alice", False, "admin")
    assert may_manage("admin", True, "bobby")
