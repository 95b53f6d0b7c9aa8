import pytest

from services.common.egress_rules import parse_allow
from services.settings.setting_kinds import (
    Boolean,
    IndexedUrls,
    PatchContext,
    Pattern,
    SubsetOf,
    WholeNumber,
    ascii_whole_number,
    shown,
)

CONTEXT = PatchContext()


@pytest.mark.parametrize(("value", "number"), [(0, 0), ("0", 0), ("3000", 3000), (3000, 3000), ("0042", 42)])
def test_whole_numbers_are_ints_or_ascii_digit_strings(value, number):
    assert ascii_whole_number(value) == number


@pytest.mark.parametrize("value", [True, False, 1.0, "１", "১২", "", "1 ", "-1", None, [1], {"n": 1}, "12345678901"])
def test_anything_else_is_not_a_whole_number(value):
    with pytest.raises(ValueError):
        ascii_whole_number(value)


def test_bounds_are_inclusive():
    kind = WholeNumber(1, 10)
    assert kind.parse(1, CONTEXT) == 1 and kind.parse("10", CONTEXT) == 10
    for value in (0, 11, 10**100):
        with pytest.raises(ValueError, match="between 1 and 10"):
            kind.parse(value, CONTEXT)


def test_booleans_are_json_booleans_only():
    assert Boolean().parse(False, CONTEXT) is False
    for value in (0, 1, "true", "false", None):
        with pytest.raises(ValueError):
            Boolean().parse(value, CONTEXT)


def test_patterns_are_ascii_and_bounded():
    kind = Pattern(r"[0-9]+", "digits", max_length=3)
    assert kind.parse("123", CONTEXT) == "123" and kind.parse("", CONTEXT) == ""
    for value in ("1234", "１２", "12a", 12):
        with pytest.raises(ValueError, match="must be digits"):
            kind.parse(value, CONTEXT)
    with pytest.raises(ValueError):
        Pattern(r"[0-9]+", "digits", allow_empty=False).parse("", CONTEXT)


def test_indexed_urls_follow_the_webhook_url_rules():
    kind = IndexedUrls(max_entries=2)
    assert kind.parse({"0": "https://a.example/cb", "1": ""}, CONTEXT) == {"0": "https://a.example/cb", "1": ""}
    assert kind.parse({"0": "http://127.0.0.1/cb"}, PatchContext(allow_http_webhooks=True,
                                                               egress_allow=parse_allow("127.0.0.1:80")))
    for value in ({"0": "http://127.0.0.1/cb"}, {"0": 5}, {"x": ""}, {"0": "", "1": "", "2": ""}, ["https://a"]):
        with pytest.raises(ValueError):
            kind.parse(value, CONTEXT)


def test_subsets_drop_repeats_and_keep_the_order():
    kind = SubsetOf(("a", "b", "c"))
    assert kind.parse(["c", "a", "c"], CONTEXT) == ["c", "a"]
    assert kind.parse([], CONTEXT) == []
    for value in (["d"], "a", [1]):
        with pytest.raises(ValueError):
            kind.parse(value, CONTEXT)


def test_shown_echoes_json_and_cuts_long_values():
    assert shown("abc") == "abc"
    assert shown(True) == "true" and shown({"a": None}) == '{"a": null}'
    assert len(shown("x" * 1000)) == 64 and shown("x" * 1000).endswith("…")
