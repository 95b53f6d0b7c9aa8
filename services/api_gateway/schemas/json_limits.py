"""What a request body's JSON may hold, checked once for every endpoint. Pure.

Each rule stops something that would otherwise end in a 500 further down, in
``json.loads``, pydantic, a ``repr`` in an error's details or the BSON encoder:

- Nesting: at most ``MAX_DEPTH`` levels of arrays and objects → 400/1025. Counted on
  the text before parsing and without recursion: ``json.loads`` recurses once per
  level, so 1,000 levels would be a RecursionError.
- ``NaN``, ``Infinity``, ``-Infinity``: not JSON (RFC 8259) → 400/1025 "not valid JSON".
- Numbers MongoDB cannot store: integers outside 64 bits, and numbers too large for a
  double (``1e400``) → 400/1009, naming the parameter.
- At most ``MAX_VALUES`` values (strings, numbers, arrays, objects…) in one body
  → 400/1025, so that no validation downstream spends long on a crafted 1 MiB body.
- Strings MongoDB cannot store: a lone surrogate (``"\\ud800"``, or the same as
  UTF-8-encoded bytes, which ``json.loads`` lets through) in any value → 400/1009.
- Keys MongoDB cannot store or would read as an operator: a lone surrogate, a NUL, or a
  leading ``$`` → 400/1009. No key of the API has any of them; ``.`` is left to the
  schemas, which refuse every key they do not declare.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from services.common.errors import ApiError
from services.common.escaping import shown

MAX_DEPTH = 64
MAX_VALUES = 50_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INT64_DIGITS = 19  # a longer integer literal cannot be in range (and int() may refuse it)

NOT_JSON = "Request body is not valid JSON"
TOO_DEEP = f"Request body is nested too deeply: at most {MAX_DEPTH} levels"
TOO_MANY_VALUES = f"Request body has too many values: at most {MAX_VALUES}"

# A JSON string literal, unrolled so that matching it is linear in its length.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class _OutOfRange:
    """Stands for a number that cannot be stored, until the walk can name where it is."""

    def __repr__(self) -> str:
        return "<number out of range>"


OUT_OF_RANGE = _OutOfRange()


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of ``text`` nest deeper than ``limit`` (brackets
    inside strings do not count). Text that is not JSON gives some answer; the parser
    refuses it anyway."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if brackets.count("[") + brackets.count("{") <= limit:
        return False
    depth = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        if depth > limit:
            return True
    return False


def _integer(literal: str) -> int | _OutOfRange:
    if len(literal.lstrip("-")) > _INT64_DIGITS:
        return OUT_OF_RANGE
    number = int(literal)
    return number if INT64_MIN <= number <= INT64_MAX else OUT_OF_RANGE


def _float(literal: str) -> float | _OutOfRange:
    number = float(literal)
    return number if math.isfinite(number) else OUT_OF_RANGE


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes) -> Any:
    """The JSON of a request body, within the limits above, or an ApiError."""
    try:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except (UnicodeDecodeError, LookupError):
        raise ApiError(1025, NOT_JSON) from None
    if too_deep(text):
        raise ApiError(1025, TOO_DEEP)
    try:
        document = json.loads(text, parse_int=_integer, parse_float=_float, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise ApiError(1025, NOT_JSON) from None
    check_document(document)
    return document


def dotted(path: tuple[str | int, ...]) -> str:
    """``("contacts", 0, "name")`` → ``contacts[0].name``, as the schemas name parameters."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{shown(part)}" if text else shown(part)
    return text


def _storable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _good_key(key: str) -> bool:
    return _storable(key) and "\x00" not in key and not key.startswith("$")


def check_document(document: Any) -> None:
    """Walk ``document`` (without recursion) and raise the first problem found, in the
    order of the document."""
    if not isinstance(document, (dict, list)):
        return  # a bare value: the schemas refuse a body that is not an object
    count = 1
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            count += len(value)
            if count > MAX_VALUES:
                raise ApiError(1025, TOO_MANY_VALUES)
            for key in value:
                if not _good_key(key):
                    raise ApiError(1009, f"Parameter '{dotted((*path, key))}' has an invalid name")
            stack.extend(((*path, key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            count += len(value)
            if count > MAX_VALUES:
                raise ApiError(1025, TOO_MANY_VALUES)
            stack.extend(((*path, index), value[index]) for index in reversed(range(len(value))))
        elif isinstance(value, str):
            if not _storable(value):
                raise ApiError(1009, f"Parameter '{dotted(path)}' has invalid value '{shown(value)}'")
        elif value is OUT_OF_RANGE:
            raise ApiError(1009, f"Parameter '{dotted(path)}' has invalid value: the number is out of range")
