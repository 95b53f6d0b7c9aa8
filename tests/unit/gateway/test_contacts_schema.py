from __future__ import annotations

import pytest

from services.api_gateway.schemas.contacts import MAX_CONTACTS, CheckBody, validate_acknowledge, validate_check
from services.common.errors import ApiError


def test_defaults_and_values():
    expected = CheckBody(contacts=["16315551000"], blocking="no_wait", force_check=False)
    assert validate_check({"contacts": ["16315551000"]}) == expected
    request = validate_check({"contacts": ["+1 631 555 1001", "x"], "blocking": "wait", "force_check": True})
    assert request.wait and request.force_check and request.contacts == ["+1 631 555 1001", "x"]
    assert len(validate_check({"contacts": ["1"] * MAX_CONTACTS}).contacts) == MAX_CONTACTS


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        ({}, 1008, "Missing mandatory parameter 'contacts'"),
        ({"contacts": None}, 1008, "Missing mandatory parameter 'contacts'"),
        ({"contacts": []}, 1009, "Parameter 'contacts' has invalid value '[]'"),
        ({"contacts": "16315551000"}, 1009, "Parameter 'contacts' has invalid value '16315551000'"),
        ({"contacts": ["1", 16315551000]}, 1009, "Parameter 'contacts[1]' has invalid value '16315551000'"),
        ({"contacts": ["1"] * (MAX_CONTACTS + 1)}, 1009,
         f"Parameter 'contacts' has invalid value: at most {MAX_CONTACTS} contacts per request"),
        ({"contacts": ["1"], "blocking": "later"}, 1009, "Parameter 'blocking' has invalid value 'later'"),
        ({"contacts": ["1"], "force_check": "yes"}, 1009, "Parameter 'force_check' has invalid value 'yes'"),
        ({"contacts": ["1"], "force_check": 1}, 1009, "Parameter 'force_check' has invalid value '1'"),
        ({"contacts": ["1"], "block": "wait"}, 1010, "Parameter 'block' is not required"),
    ],
)
def test_bad_check_bodies(body, code, details):
    with pytest.raises(ApiError) as caught:
        validate_check(body)
    assert (caught.value.code, caught.value.details) == (code, details)


def test_acknowledge_body():
    assert validate_acknowledge({"hash": "UKD6Y/5SqDU="}) == "UKD6Y/5SqDU="
    for body, code in (({}, 1008), ({"hash": ""}, 1008), ({"hash": 5}, 1009), ({"hash": "x" * 65}, 1009),
                       ({"hash": "UKD6Y/5SqDU=", "other": 1}, 1010)):
        with pytest.raises(ApiError) as caught:
            validate_acknowledge(body)
        assert caught.value.code == code, body
