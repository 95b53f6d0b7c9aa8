"""The about text's and the business profile's limits, as a restore checks a backup's."""

from __future__ import annotations

import pytest

from services.profile import photo_rules, profile_rules

BUSINESS = {"address": "1 Main St", "description": "", "email": "a@b.example", "vertical": "",
            "websites": ["https://a.example", "http://b.example/path"]}


def test_a_business_profile_as_stored_passes():
    assert profile_rules.check_business(BUSINESS) == BUSINESS


@pytest.mark.parametrize("change", [{"address": "x" * 257}, {"email": "a@b"}, {"email": None},
                                    {"vertical": "Casino"}, {"websites": "https://a.example"},
                                    {"websites": ["https://a.example/" + "x" * 250]}, {"websites": [1]}])
def test_a_business_field_the_endpoint_refuses_is_refused(change):
    with pytest.raises(ValueError):
        profile_rules.check_business({**BUSINESS, **change})


def test_about_is_counted_in_characters():
    assert profile_rules.check_about("😀" * 139) == "😀" * 139
    with pytest.raises(ValueError):
        profile_rules.check_about("😀" * 140)


@pytest.mark.parametrize(("key", "mime", "size", "sha"), [
    ("profile/photo/" + "a" * 31, "image/jpeg", 1, "0" * 64),
    ("profile/photo/../" + "a" * 29, "image/jpeg", 1, "0" * 64),
    ("profile/photo/" + "a" * 32, "image/gif", 1, "0" * 64),
    ("profile/photo/" + "a" * 32, "image/jpeg", True, "0" * 64),
    ("profile/photo/" + "a" * 32, "image/jpeg", 0, "0" * 64),
    ("profile/photo/" + "a" * 32, "image/jpeg", 1, "0" * 63),
])
def test_a_photo_description_photos_save_cannot_make_is_refused(key, mime, size, sha):
    assert not photo_rules.is_photo(key, mime, size, sha)


def test_a_photo_description_photos_save_makes_passes():
    assert photo_rules.is_photo(photo_rules.photo_key("0123456789abcdef" * 2), "image/png", 10, "f" * 64)
