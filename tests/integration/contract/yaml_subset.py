"""A strict loader for the block-style YAML subset the reference OpenAPI uses.

Only a fallback: PyYAML is not a project dependency (and may not be installed), and the
reference file uses nothing but block mappings and sequences, `'single-quoted'` and plain
scalars, `|`/`>` block scalars with clip or strip chomping, and empty `{}`/`[]`. Anything
else raises `Unsupported` (the tests then skip), so a construct this loader does not
know is never silently misread. Plain scalars resolve as PyYAML does (YAML 1.1:
`yes`/`on` are booleans, `200:` is an integer key).
"""

from __future__ import annotations

import re
from typing import Any

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+][0-9]+)?")
_SUSPICIOUS = re.compile(  # YAML 1.1 forms this loader does not resolve (timestamps, octal, sexagesimal, …)
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|[-+]?0[0-7xob_].*|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"
    r"|[-+]?\.(inf|Inf|INF|nan|NaN|NAN)|[-+]?[0-9][0-9_]*_.*"
)
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_NULL = {"", "~", "null", "Null", "NULL"}


class Unsupported(ValueError):
    """The text uses YAML this loader does not implement."""


def load(text: str) -> Any:
    return _Parser(text).document()


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.i = 0

    def fail(self, why: str) -> Unsupported:
        return Unsupported(f"line {self.i + 1}: {why}")

    def peek(self) -> tuple[int, str] | None:
        while self.i < len(self.lines):
            line = self.lines[self.i]
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                if line.startswith("%") or stripped in ("---", "..."):
                    raise self.fail("directives and document markers")
                indent = len(line) - len(line.lstrip(" "))
                if line[indent] == "\t":
                    raise self.fail("tab indentation")
                return indent, stripped
            self.i += 1
        return None

    def document(self) -> Any:
        head = self.peek()
        if head is None:
            return None
        value = self.block(head[0])
        if self.peek() is not None:
            raise self.fail("unexpected indentation")
        return value

    def block(self, indent: int) -> Any:
        _, content = self.peek()  # type: ignore[misc]
        return self.sequence(indent) if _is_item(content) else self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while (head := self.peek()) is not None and head[0] == indent and _is_item(head[1]):
            self.i += 1
            rest = head[1][1:].strip()
            if rest:
                if _split_key(rest) is not None:
                    raise self.fail("compact mapping in a sequence item")
                items.append(self.block_scalar(rest, indent) if rest[0] in "|>" else self.scalar(rest, indent))
            else:
                nxt = self.peek()
                if nxt is None or nxt[0] <= indent:
                    items.append(None)
                else:
                    items.append(self.block(nxt[0]))
        return items

    def mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        while (head := self.peek()) is not None and head[0] >= indent:
            if head[0] > indent or _is_item(head[1]):
                raise self.fail("unexpected indentation or sequence item")
            split = _split_key(head[1])
            if split is None:
                raise self.fail(f"not a 'key: value' line: {head[1]!r}")
            raw_key, rest = split
            key = self.scalar(raw_key, indent)
            if key in result:
                raise self.fail(f"duplicate key {key!r}")
            self.i += 1
            if not rest:
                nxt = self.peek()
                if nxt is not None and nxt[0] > indent:
                    result[key] = self.block(nxt[0])
                elif nxt is not None and nxt[0] == indent and _is_item(nxt[1]):
                    result[key] = self.sequence(indent)
                else:
                    result[key] = None
            elif rest[0] in "|>":
                result[key] = self.block_scalar(rest, indent)
            else:
                result[key] = self.scalar(rest, indent)
        return result

    def scalar(self, text: str, indent: int) -> Any:
        if text.startswith("'"):
            if len(text) < 2 or not text.endswith("'") or "'" in text[1:-1].replace("''", ""):
                raise self.fail("multi-line or malformed single-quoted scalar")
            return text[1:-1].replace("''", "'")
        if text == "{}":
            return {}
        if text == "[]":
            return []
        if text[0] in "\"[{&*!|>%@`,?:-#" and not (text[0] == "-" and len(text) > 1 and text[1] != " "):
            raise self.fail(f"unsupported scalar {text!r}")
        if " #" in text or ": " in text or text.endswith(":"):
            raise self.fail(f"comment or mapping inside a plain scalar {text!r}")
        nxt = self.peek()
        if nxt is not None and nxt[0] > indent and not _is_item(nxt[1]) and _split_key(nxt[1]) is None:
            raise self.fail("multi-line plain scalar")
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
        if _SUSPICIOUS.fullmatch(text):
            raise self.fail(f"plain scalar {text!r} needs YAML 1.1 resolution this loader lacks")
        return text

    def block_scalar(self, header: str, indent: int) -> str:
        if header not in ("|", "|-", ">", ">-"):
            raise self.fail(f"block scalar header {header!r}")
        lines: list[str] = []
        content_indent: int | None = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip():
                current = len(line) - len(line.lstrip(" "))
                if current <= indent:
                    break
                if content_indent is None:
                    content_indent = current
                elif current < content_indent:
                    raise self.fail("block scalar line indented less than its first line")
                if header[0] == ">" and (current > content_indent or line[current] == "\t"):
                    raise self.fail("more-indented line in a folded scalar")
                lines.append(line[content_indent:])
            else:
                lines.append("")
            self.i += 1
        while lines and not lines[-1]:
            lines.pop()
        if header[0] == "|":
            text = "\n".join(lines)
        else:
            text = ""
            blanks = 0
            for line in lines:
                if not line:
                    blanks += 1
                    continue
                if text:
                    text += "\n" * blanks if blanks else " "
                else:
                    text += "\n" * blanks
                text += line
                blanks = 0
        if not text:
            return ""
        return text if header.endswith("-") else text + "\n"


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _split_key(content: str) -> tuple[str, str] | None:
    """`key: rest` → (key, rest) with the key as written (quotes kept), or None."""
    if content.startswith("'"):
        end = 1
        while True:
            end = content.find("'", end)
            if end < 0:
                return None
            if content[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        after = content[end + 1 :]
        if after == ":" or after.startswith(": "):
            return content[: end + 1], after[1:].strip()
        return None
    match = re.match(r"([^'\"#][^#]*?):( |$)", content)
    if match is None or ": " in match.group(1):
        return None
    return match.group(1), content[match.end() :].strip()
