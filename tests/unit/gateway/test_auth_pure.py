from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.api_gateway import auth
from services.common.errors import ApiError


@pytest.mark.parametrize(
    "password",
    ["Abcdef1!", "Zz9#" * 16, "Pa$$w0rdPa$$w0rd", "x Y 1 ~ long enough"],
)
def test_password_policy_accepts(password):
    assert auth.password_problem(password) is None
    auth.check_password_policy(password)


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
    assert auth.password_problem(password) == auth.PASSWORD_POLICY_DETAILS
    with pytest.raises(ApiError) as caught:
        auth.check_password_policy(password)
    assert caught.value.code == 1009
    assert caught.value.status == 400
    assert caught.value.details.startswith("Password doesn't meet complexity requirements")


def test_password_hash_round_trip_and_salt():
    first = auth.hash_password("Secret1!")
    second = auth.hash_password("Secret1!")
    assert first != second  # random salt
    assert first.startswith("scrypt$")
    assert "Secret1!" not in first
    assert auth.verify_password("Secret1!", first)
    assert auth.verify_password("Secret1!", second)
    assert not auth.verify_password("Secret1?", first)
    assert not auth.verify_password("Secret1!", "garbage")
    assert not auth.verify_password("Secret1!", "")


def test_expires_after_format():
    moment = datetime(2018, 3, 1, 15, 29, 26, 123456, tzinfo=UTC)
    assert auth.format_expires_after(moment) == "2018-03-01 15:29:26+00:00"
    # Converted to UTC whatever the input zone.
    plus_two = datetime(2018, 3, 1, 17, 29, 26, tzinfo=timezone(timedelta(hours=2)))
    assert auth.format_expires_after(plus_two) == "2018-03-01 15:29:26+00:00"


def test_token_hash_is_sha256_hex():
    digest = auth.token_hash("abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_denied_is_401_access_denied():
    error = auth.denied()
    assert (error.code, error.status, error.details) == (1005, 401, "Invalid credentials.")
    assert auth.denied(auth.TOKEN_EXPIRED).details == "Token expired"
