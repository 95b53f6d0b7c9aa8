"""A minimal checker for the OpenAPI 3.0 schema subset the reference OpenAPI uses.

jsonschema is not a project dependency. This implements what the response schemas need:
`$ref` (local JSON pointers), `allOf` (merged, so that the declared properties are the
union of its branches), `oneOf`/`anyOf`, `nullable`, `type`, `enum`, `required`,
`properties`, `additionalProperties`, `items` and `format: date-time`. Any other
validation keyword raises, so a schema is never half-checked in silence.

One deliberate tightening, on by default: `undeclared` reports object keys the schema
does not declare when it has `properties` and no `additionalProperties`. The reference
marks almost nothing `required`, so without it a renamed key (`user` for `users`) would
pass; with it, every key we send must be one the OpenAPI knows, or be listed as a
justified difference by the test.

Problems are returned, not raised: `Problem(path, kind, message)` with a JSON path such
as `$.users[0].token` and a kind in {type, enum, required, undeclared, format, oneOf}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Keywords that carry no constraint, or none this checker needs to enforce.
_ANNOTATIONS = {
    "title",
    "description",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "x-enum-descriptions",
    "externalDocs",
    "xml",
    "discriminator",
}
_VALIDATION = {
    "$ref",
    "allOf",
    "oneOf",
    "anyOf",
    "nullable",
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "format",
}
# RFC 3339 §5.6 allows a space for the "T"; the reference's own example for `expires_after`
# ('2018-03-01 15:29:26+00:00') and spec §4.1 use it.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str
    message: str

    @property
    def pattern(self) -> str:
        """The path with array indices as `[*]` (what exemption tables are keyed on)."""
        return re.sub(r"\[\d+\]", "[*]", self.path)

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.message}"


class SchemaChecker:
    def __init__(self, document: dict[str, Any], *, forbid_undeclared: bool = True) -> None:
        self.document = document
        self.forbid_undeclared = forbid_undeclared

    def ref(self, pointer: str) -> Any:
        if not pointer.startswith("#/"):
            raise NotImplementedError(f"only local $refs are supported: {pointer}")
        node: Any = self.document
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def check(self, instance: Any, schema: dict[str, Any], path: str = "$") -> list[Problem]:
        problems: list[Problem] = []
        self._check(instance, schema, path, problems)
        return problems

    # -- internals --------------------------------------------------------------------

    def _flatten(self, schema: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
        """Resolve `$ref` and merge `allOf` into one schema."""
        while "$ref" in schema:
            if set(schema) - _ANNOTATIONS - {"$ref"}:
                raise NotImplementedError(f"$ref with sibling keywords: {sorted(schema)}")
            pointer = schema["$ref"]
            if pointer in seen:
                raise NotImplementedError(f"recursive $ref {pointer}")
            seen = (*seen, pointer)
            schema = self.ref(pointer)
        unknown = set(schema) - _ANNOTATIONS - _VALIDATION
        if unknown:
            raise NotImplementedError(f"unsupported schema keywords {sorted(unknown)}")
        if "allOf" not in schema:
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf" and k in _VALIDATION}
        for branch in schema["allOf"]:
            part = self._flatten(branch, seen)
            for key, value in part.items():
                if key in _ANNOTATIONS:
                    continue
                if key == "properties":
                    props = merged.setdefault("properties", {})
                    for name, sub in value.items():
                        props[name] = {"allOf": [props[name], sub]} if name in props else sub
                elif key == "items" and "items" in merged:
                    merged["items"] = {"allOf": [merged["items"], value]}
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", ()), *value})
                elif key in merged and merged[key] != value:
                    raise NotImplementedError(f"allOf branches disagree on {key!r}")
                else:
                    merged[key] = value
        return merged

    def _check(self, instance: Any, schema: dict[str, Any], path: str, problems: list[Problem]) -> None:
        schema = self._flatten(schema)
        if instance is None and schema.get("nullable"):
            return
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                matches = sum(not self.check(instance, branch, path) for branch in schema[keyword])
                if matches == 0 or (keyword == "oneOf" and matches > 1):
                    problems.append(Problem(path, "oneOf", f"{matches} of the {keyword} branches match"))
        expected = schema.get("type")
        if expected is not None:
            kinds = _TYPES[expected]
            if not isinstance(instance, kinds) or (isinstance(instance, bool) and bool not in kinds):
                problems.append(Problem(path, "type", f"{instance!r} is not of type {expected!r}"))
                return
        if "enum" in schema and not any(type(instance) is type(v) and instance == v for v in schema["enum"]):
            problems.append(Problem(path, "enum", f"{instance!r} is not one of {schema['enum']!r}"))
        if schema.get("format") == "date-time" and isinstance(instance, str) and not _DATE_TIME.fullmatch(instance):
            problems.append(Problem(path, "format", f"{instance!r} is not a date-time"))
        if isinstance(instance, dict):
            self._object(instance, schema, path, problems)
        elif isinstance(instance, list) and "items" in schema:
            for index, item in enumerate(instance):
                self._check(item, schema["items"], f"{path}[{index}]", problems)

    def _object(self, instance: dict[str, Any], schema: dict[str, Any], path: str, problems: list[Problem]) -> None:
        for name in schema.get("required", ()):
            if name not in instance:
                problems.append(Problem(f"{path}.{name}", "required", "missing required property"))
        properties = schema.get("properties", {})
        extra_schema = schema.get("additionalProperties")
        for name, value in instance.items():
            child = f"{path}.{name}"
            if name in properties:
                self._check(value, properties[name], child, problems)
            elif isinstance(extra_schema, dict):
                self._check(value, extra_schema, child, problems)
            elif extra_schema is False or (extra_schema is None and "properties" in schema and self.forbid_undeclared):
                problems.append(Problem(child, "undeclared", "property not declared by the schema"))
