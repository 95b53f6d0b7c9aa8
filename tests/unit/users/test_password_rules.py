import pytest
from argon2 import PasswordHasher, Type

from services.users import password_rules
from tests.common.factories import scrypt_hash


@pytest.mark.parametrize(
    "password",
    ["Abcdef1!", "Zz9#" * 16, "Pa$$w0rdPa$$w0rd", "x Y 1 ~ long enough"],
)
def test_password_policy_accepts(password):
    assert password_rules.password_problem(password) is None


@pytest.mark.parametrize(
    "password",
    [
        "Abcde1!",  # 7 characters
        "A" * 60 + "bc1!x",  # 65 characters
        "abcdefg1!",  # no uppercase
        "ABCDEFG1!",  # no lowercase
        "Abcdefgh!",  # no digit
        "Abcdefgh1",  # no special character
        "secret",
        "",
        None,
        12345678,
    ],
)
def test_password_policy_rejects(password):
    assert password_rules.password_problem(password) == password_rules.PASSWORD_POLICY_DETAILS
    assert password_rules.PASSWORD_POLICY_DETAILS.startswith("Password doesn't meet complexity requirements")


def test_password_hash_round_trip_and_salt():
    first = password_rules.hash_password("Secret1!")
    second = password_rules.hash_password("Secret1!")
    assert first != second  # random salt
    assert first.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    assert "Secret1!" not in first
    assert password_rules.verify_password("Secret1!", first)
    assert password_rules.verify_password("Secret1!", second)
    assert not password_rules.verify_password("Secret1?", first)
    assert not password_rules.needs_rehash(first)


def test_a_scrypt_hash_from_before_still_verifies_and_asks_for_a_rehash():
    stored = scrypt_hash("Secret1!")
    assert password_rules.verify_password("Secret1!", stored)
    assert not password_rules.verify_password("Secret1?", stored)
    assert password_rules.needs_rehash(stored)


def test_an_argon2id_hash_of_weaker_parameters_asks_for_a_rehash():
    weaker = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID).hash("Secret1!")
    assert password_rules.verify_password("Secret1!", weaker)
    assert password_rules.needs_rehash(weaker)


@pytest.mark.parametrize("stored", ["garbage", "", "bcrypt$16384$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA",
                                    "scrypt$16384$8$1$!!!$AAAA", "$argon2id$v=19$m=32768,t=2,p=1$AAAA",
                                    "$argon2id$v=19$m=32768,t=2,p=1$!!!$AAAA"])
def test_a_malformed_stored_hash_verifies_nothing(stored):
    assert not password_rules.verify_password("Secret1!", stored)


def test_an_unknown_user_is_checked_against_nobody():
    assert password_rules.verify_nobody("Secret1!") is None
