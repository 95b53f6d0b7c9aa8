import pytest

from services.common.escaping import escape_for_quoted_field, escape_unprintable, shown


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain /v1/messages", "plain /v1/messages"),
        ("é ５ 😀", "é ５ 😀"),
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x00\x7f\x85", "\\x00\\x7f\\x85"),
        ("\ud800", "\\ud800"),
        ("\u202e\u2028", "\\u202e\\u2028"),
        ("\U000e0001", "\\U000e0001"),
    ],
)
def test_escape_unprintable(text, escaped):
    assert escape_unprintable(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("/v1/messages", "/v1/messages"),
        ('/x" 200 0 1ms\n127.0.0.1 [date] "GET /admin', '/x\\x22 200 0 1ms\\x0a127.0.0.1 [date] \\x22GET /admin'),
        ("/a\\b", "/a\\x5cb"),
        # A WSGI path holds the request's bytes as latin-1 characters: é arrives as two.
        ("/\xc3\xa9", "/\\xc3\\xa9"),
        ("/\u20ac", "/\\u20ac"),
    ],
)
def test_escape_for_quoted_field(text, escaped):
    assert escape_for_quoted_field(text) == escaped


def test_shown_cuts_after_escaping():
    assert shown("abc") == "abc"
    assert shown("x" * 64) == "x" * 64
    assert shown("x" * 65) == "x" * 63 + "…"
    assert shown("\n" * 20) == "\\x0a" * 15 + "\\x0…"
