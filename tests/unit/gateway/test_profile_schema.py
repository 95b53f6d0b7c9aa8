"""The limits of the about text and the business profile (spec §9.1, §9.2)."""

from __future__ import annotations

import pytest

from services.api_gateway.schemas.common import parse
from services.api_gateway.schemas.profile import (
    TOO_MANY_WEBSITES,
    AboutBody,
    PhotoQuery,
    parse_business_profile,
)
from services.common.errors import ApiError


def code_of(call) -> tuple[int, str]:
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value.code, raised.value.details


def test_about_counts_characters_not_bytes():
    assert parse(AboutBody, {"text": "😀" * 139}).text == "😀" * 139
    assert code_of(lambda: parse(AboutBody, {"text": "😀" * 140}))[0] == 1009


@pytest.mark.parametrize("body, code", [({}, 1008), ({"text": 1}, 1009), ({"text": ["a"]}, 1009)])
def test_about_missing_or_not_a_string(body, code):
    assert code_of(lambda: parse(AboutBody, body))[0] == code


def test_a_partial_business_profile_gives_only_its_fields():
    assert parse_business_profile({"description": "d", "unknown": 1}).given() == {"description": "d"}
    assert parse_business_profile({"address": "", "email": "", "websites": []}).given() == {
        "address": "", "email": "", "websites": []}


def test_more_than_two_websites_has_the_originals_message():
    body = {"websites": ["https://a.example", "https://b.example", "https://c.example"]}
    assert code_of(lambda: parse_business_profile(body)) == (1009, TOO_MANY_WEBSITES)


WEBSITES = [
    ("https://a.example", True), ("HTTP://A.EXAMPLE/path?q=1", True), ("https://a.example/" + "x" * 238, True),
    ("https://a.example/" + "x" * 239, False), ("a.example", False), ("ftp://a.example", False),
    ("https://", False), ("https://a b.example", False), ("javascript:alert(1)", False),
]
EMAILS = [
    ("a@b.example", True), ("first.last+tag@sub.b.example", True), ("a" * 116 + "@b.example", True),
    ("a" * 119 + "@b.example", False), ("a@b", False), ("a b@c.example", False), ("@b.example", False),
    ("a@@b.example", False),
]
VERTICALS = [
    ("Beauty, Spa, and Salon", True), ("Non-profit", True), ("Other", True),
    ("", False), ("other", False), ("Pets", False),
]
FIELD_CASES = ([("websites", [website], valid) for website, valid in WEBSITES]
               + [("email", email, valid) for email, valid in EMAILS]
               + [("vertical", vertical, valid) for vertical, valid in VERTICALS])


@pytest.mark.parametrize("name, value, valid", FIELD_CASES)
def test_websites_emails_and_verticals(name, value, valid):
    """Websites: http(s) URLs of at most 256 characters; email: an address of at most
    128; vertical: one of the list, never empty."""
    call = lambda: parse_business_profile({name: value})  # noqa: E731
    if valid:
        assert call().given() == {name: value}
    else:
        assert code_of(call)[0] == 1009


def test_address_and_description_hold_256_characters():
    assert parse_business_profile({"address": "x" * 256, "description": "y" * 256}).given()["address"] == "x" * 256
    assert code_of(lambda: parse_business_profile({"description": "y" * 257}))[0] == 1009


def test_photo_query_knows_only_link():
    assert parse(PhotoQuery, {"format": "link"}).format == "link"
    assert parse(PhotoQuery, {}).format is None
    assert code_of(lambda: parse(PhotoQuery, {"format": "binary"}))[0] == 1009
