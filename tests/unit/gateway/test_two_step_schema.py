import pytest

from services.api_gateway.schemas.two_step import validate_two_step
from services.common.errors import ApiError


def test_six_digits():
    assert validate_two_step({"pin": "012345"}).pin == "012345"


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        ({}, 1008, "Missing mandatory parameter 'pin'"),
        (None, 1008, "Missing mandatory parameter 'pin'"),
        ({"pin": None}, 1008, "Missing mandatory parameter 'pin'"),
        ({"pin": ""}, 1009, "Pin must not be empty"),
        ({"pin": "12345"}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        ({"pin": "1234567"}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        ({"pin": 123456}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        ({"pin": "１２３４５６"}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        ({"pin": "12 456"}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
    ],
)
def test_refused(body, code, details):
    with pytest.raises(ApiError) as caught:
        validate_two_step(body)
    assert (caught.value.code, caught.value.details) == (code, details)
