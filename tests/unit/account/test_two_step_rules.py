import pytest

from services.account.two_step_rules import PIN_REQUIRED, WRONG_PIN, check_pin
from services.common.errors import ApiError


def test_off_lets_anything_through():
    check_pin(None, None)
    check_pin(None, "654321")


def test_the_pin_passes():
    check_pin("123456", "123456")


@pytest.mark.parametrize(("given", "status", "code", "details"),
                         [(None, 400, 1008, PIN_REQUIRED), ("123457", 403, 1005, WRONG_PIN)])
def test_refusals(given, status, code, details):
    with pytest.raises(ApiError) as caught:
        check_pin("123456", given)
    assert (caught.value.status, caught.value.code, caught.value.details) == (status, code, details)
