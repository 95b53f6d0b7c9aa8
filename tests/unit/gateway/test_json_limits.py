import json
import time

import pytest

from services.api_gateway.schemas.json_limits import (
    MAX_DEPTH,
    MAX_VALUES,
    TOO_DEEP,
    TOO_MANY_VALUES,
    check_document,
    dotted,
    loads,
    too_deep,
)
from services.common.errors import ApiError


def error(raw: bytes | str) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        loads(raw.encode() if isinstance(raw, str) else raw)
    return caught.value.code, caught.value.details


def test_ordinary_bodies_pass_unchanged():
    body = {"to": "16315551234", "text": {"body": "é ５ 😀 [{"}, "ttl": 86400, "lat": -12.5, "n": None, "b": True}
    assert loads(json.dumps(body).encode()) == body
    assert loads(json.dumps(body, ensure_ascii=False).encode("utf-16")) == body


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        # Many brackets, shallow: siblings do not add up.
        ("[" + ",".join(["[[]]"] * 1000) + "]", False),
        # Brackets in strings, escaped quotes included, are text.
        (json.dumps({"a": "[" * 500 + '\\"' + "{" * 500}), False),
        (json.dumps(["\\", "[" * 100]), False),
    ],
)
def test_depth_is_counted_outside_strings(text, deep):
    assert too_deep(text) is deep


def test_depth_check_is_fast_and_does_not_recurse():
    started = time.monotonic()
    assert error("[" * 1_000_000 + "]" * 1_000_000) == (1025, TOO_DEEP)
    assert error('"' + "x" * 1_000_000) == (1025, "Request body is not valid JSON")  # unterminated string
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"a": -Infinity}', "{not json", b"\xff\xfe\x00", b'"\xff"'])
def test_not_json(raw):
    assert error(raw) == (1025, "Request body is not valid JSON")


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ('{"ttl": 9223372036854775808}', "ttl"),
        ('{"ttl": -9223372036854775809}', "ttl"),
        ('{"a": [1, 2, 1e400]}', "a[2]"),
        ('{"a": {"b": -1e309}}', "a.b"),
        ('{"a": 1' + "0" * 10_000 + "}", "a"),  # beyond int()'s 4,300 digits too
    ],
)
def test_numbers_out_of_range_name_their_parameter(raw, path):
    assert error(raw) == (1009, f"Parameter '{path}' has invalid value: the number is out of range")


def test_numbers_in_range():
    assert loads(b"[9223372036854775807, -9223372036854775808, 1.7e308, 5e-324]") == [
        2**63 - 1, -(2**63), 1.7e308, 5e-324]


@pytest.mark.parametrize(
    ("raw", "details"),
    [
        ('{"text": {"body": "a\\ud800b"}}', "Parameter 'text.body' has invalid value 'a\\ud800b'"),
        (b'{"text": {"body": "\xed\xb0\x80"}}', "Parameter 'text.body' has invalid value '\\udc00'"),
        ('{"contacts": ["1", "\\udfff"]}', "Parameter 'contacts[1]' has invalid value '\\udfff'"),
        ('{"\\ud800": 1}', "Parameter '\\ud800' has an invalid name"),
        ('{"a": [{"b\\u0000c": 1}]}', "Parameter 'a[0].b\\x00c' has an invalid name"),
        ('{"a": {"$gt": ""}}', "Parameter 'a.$gt' has an invalid name"),
    ],
)
def test_what_mongodb_cannot_store(raw, details):
    assert error(raw) == (1009, details)


def test_paired_surrogates_and_other_keys_are_fine():
    assert loads(b'{"\\ud83d\\ude00": "\\ud83d\\ude00", "a.b": 1, "x$": 2}') == {"😀": "😀", "a.b": 1, "x$": 2}


def test_the_first_problem_in_document_order_is_reported():
    assert error('{"a": "\\ud800", "b": "\\ud801"}')[1] == "Parameter 'a' has invalid value '\\ud800'"
    assert error('[1e400, "\\ud800"]')[1] == "Parameter '[0]' has invalid value: the number is out of range"


def test_limits_are_worded_with_their_numbers():
    assert TOO_DEEP == "Request body is nested too deeply: at most 64 levels"
    assert TOO_MANY_VALUES == "Request body has too many values: at most 50000"


def test_too_many_values():
    check_document([0] * (MAX_VALUES - 1))
    assert error(json.dumps({"a": [0] * MAX_VALUES})) == (1025, TOO_MANY_VALUES)
    assert error(json.dumps({str(i): 0 for i in range(MAX_VALUES + 1)}))[0] == 1025


def test_long_values_are_cut_in_details():
    details = error('{"a": "' + "x" * 1000 + '\\ud800"}')[1]
    assert details == "Parameter 'a' has invalid value '" + "x" * 63 + "…'"


def test_dotted():
    assert dotted(("contacts", 0, "name", "formatted_name")) == "contacts[0].name.formatted_name"
    assert dotted((0, "a\n")) == "[0].a\\x0a"
