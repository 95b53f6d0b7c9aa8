"""Client text made safe to write into a log line or an error's details. Pure.

A path, a header or a JSON string may hold a newline, a carriage return, an ANSI escape
or a lone surrogate. Written as it is, a newline forges a log line, an escape sequence
repaints the operator's terminal, and a lone surrogate cannot even be encoded. These
functions write such characters as Python-style escapes (``\\n`` becomes ``\\x0a``), so
the text keeps its information and stays on one line.
"""

from __future__ import annotations


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_unprintable(text: str) -> str:
    """``text`` with every character that is not printable escaped: control characters
    (C0, DEL, C1), lone surrogates, format characters (bidi overrides) and line or
    paragraph separators. Printable Unicode (``é``, ``５``) is kept as it is."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def escape_for_quoted_field(text: str) -> str:
    """``text`` for a double-quoted field of an access log line, as Apache and nginx log
    a request line: printable ASCII stays, ``"`` and ``\\`` and every other character
    are escaped, so the field cannot be closed early nor span two lines."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return "".join(char if " " <= char <= "~" and char not in '"\\' else _escape(char) for char in text)


def shown(text: str, limit: int = 64) -> str:
    """``text`` as an error's details echo it: escaped and cut to ``limit`` characters."""
    escaped = escape_unprintable(text[: limit + 1])  # escaping only lengthens the text
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"
