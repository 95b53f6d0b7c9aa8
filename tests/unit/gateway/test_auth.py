from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.api_gateway import auth
from services.api_gateway.schemas.common import parse
from services.api_gateway.schemas.users import LoginBody
from services.common.errors import ApiError


@pytest.mark.parametrize("password", ["Abcdef1!", "Zz9#" * 16])
def test_an_acceptable_password_passes(password):
    assert parse(LoginBody, {"new_password": password}).new_password == password


@pytest.mark.parametrize("password", ["Abcde1!", "abcdefg1!", "", 12345678])
def test_a_password_against_the_policy_is_1009(password):
    with pytest.raises(ApiError) as caught:
        parse(LoginBody, {"new_password": password})
    assert caught.value.code == 1009
    assert caught.value.status == 400
    assert caught.value.details.startswith("Password doesn't meet complexity requirements")


def test_expires_after_format():
    moment = datetime(2018, 3, 1, 15, 29, 26, 123456, tzinfo=UTC)
    assert auth.format_expires_after(moment) == "2018-03-01 15:29:26+00:00"
    # Converted to UTC whatever the input zone.
    plus_two = datetime(2018, 3, 1, 17, 29, 26, tzinfo=timezone(timedelta(hours=2)))
    assert auth.format_expires_after(plus_two) == "2018-03-01 15:29:26+00:00"


def test_denied_is_401_access_denied():
    error = auth.denied()
    assert (error.code, error.status, error.details) == (1005, 401, "Invalid credentials.")
    assert auth.denied(auth.TOKEN_EXPIRED).details == "Token expired"
