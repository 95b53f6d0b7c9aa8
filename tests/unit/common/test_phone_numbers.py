from __future__ import annotations

import pytest

from services.common.phone_numbers import normalize


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # the spec's forms (§7.1), for a business in country 1
        ("16315551000", "16315551000"),
        ("+1 631 555 1001", "16315551001"),
        ("1-631-555-1005", "16315551005"),
        ("(631) 555-1005", "16315551005"),
        ("+1.631.555.1005", "16315551005"),
        ("+1 (555) 000-1111", "15550001111"),
        ("  +16315551000 ", "16315551000"),
        ("+54 9 11 5612-1008", "5491156121008"),
        ("0054 9 11 5612-1008", "5491156121008"),
        # bare digits are a wa_id: another country's stays as it is
        ("447700900123", "447700900123"),
        ("6315551002", "6315551002"),
    ],
)
def test_forms_reduce_to_the_wa_id(value, expected):
    assert normalize(value, "1") == expected


def test_a_national_number_takes_the_business_country_code_without_its_trunk_zero():
    assert normalize("020 7946 0958", "44") == "442079460958"
    assert normalize("(0)20-7946-0958", "44") == "442079460958"
    # already international by its country code
    assert normalize("44 20 7946 0958", "44") == "442079460958"
    # bare digits are never rewritten
    assert normalize("16315551000", "44") == "16315551000"


def test_without_a_business_country_national_numbers_are_taken_as_written():
    assert normalize("(631) 555-1005") == "6315551005"
    assert normalize("+1 631 555 1005") == "16315551005"


@pytest.mark.parametrize(
    "value",
    ["", "   ", "abc", "1631abc", "+", "+ - ", "++16315551000", "1+6315551000", "16315551000#12",
     "(631 555-1005", "631) 555-1005", "0", "06315551000", "1" * 21, "+1 631 555 1005 ext 2", "١٢٣٤٥",
     "1" * 70],
)
def test_not_a_phone_number(value):
    assert normalize(value, "1") is None


@pytest.mark.parametrize("value", [None, 16315551000, ["16315551000"]])
def test_only_strings_are_phone_numbers(value):
    assert normalize(value, "1") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    ["１６３１５５５１０００", "+1 ６31 555 1000", "1631555100\u0660", "+\u0661\u0666\u0663\u0661", "16315551000\u00b2",
     "\U0001d7cf6315551000"],
)
def test_only_ascii_digits_are_digits(value):
    # str.isdigit() and \d take these; a wa_id is ASCII digits only.
    assert normalize(value) is None
    assert normalize(value, "1") is None
