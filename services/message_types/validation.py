"""Validating a type's object with its declared model, in On-Prem's words (spec §2.3)."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError
from pydantic.fields import FieldInfo

from services.common.errors import ApiError
from services.common.escaping import shown
from services.message_types.fields import ONPREM_ERROR, PARAM


def _members(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without Annotated/Optional, whether it is a discriminated union)."""
    tagged = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            tagged = tagged or any(isinstance(m, FieldInfo) and m.discriminator for m in metadata)
            annotation = base
        elif origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        else:
            return annotation, tagged


def _without_tags(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The error's location without the tags pydantic inserts for discriminated unions
    (``components[0].body.parameters`` is ``components[0].parameters`` to the caller)."""
    out: list[Any] = []
    current: Any = model
    for index, part in enumerate(loc):
        annotation, tagged = _members(current)
        if tagged and isinstance(part, str):
            current = next((m for m in typing.get_args(annotation) if isinstance(m, type)
                            and issubclass(m, BaseModel) and part in _literal_values(m)), None)
            if current is None:
                return (*out, *loc[index:])
            continue
        out.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
            field = annotation.model_fields.get(part)
            current = _annotated(field) if field is not None else None
        elif typing.get_origin(annotation) is list and isinstance(part, int):
            current = typing.get_args(annotation)[0]
        else:
            current = None
        if current is None:
            return (*out, *loc[index + 1:])
    return tuple(out)


def _literal_values(model: type[BaseModel]) -> tuple[Any, ...]:
    field = model.model_fields.get("type")
    if field is None or typing.get_origin(field.annotation) is not typing.Literal:
        return ()
    return typing.get_args(field.annotation)


def _annotated(field: FieldInfo) -> Any:
    extra = list(field.metadata)
    if field.discriminator:
        extra.append(FieldInfo(discriminator=field.discriminator))
    return typing.Annotated[(field.annotation, *extra)] if extra else field.annotation


def param_path(root: str, loc: tuple[Any, ...]) -> str:
    """``contacts[0].name``: a parameter as the original names it (list items in brackets)."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _shown(value: Any) -> str:
    # Escaped, so that a lone surrogate or a newline in the input cannot break the answer or a log.
    return shown(str(value))


def to_api_error(
    error: ValidationError, model: type[BaseModel], type_name: str, root: str | None = None
) -> ApiError:
    """pydantic's first error as the original reports it: 1008 mandatory, 1010 not
    required, 1009 invalid, or the code a declaration attached (1001, 2xxx)."""
    item = error.errors()[0]
    return item_to_api_error(item, tuple(item["loc"]), model, type_name, root)


def item_to_api_error(
    item: Any, loc: tuple[Any, ...], model: type[BaseModel], type_name: str, root: str | None = None
) -> ApiError:
    """One pydantic error, located at ``loc`` within ``model``, as ``to_api_error`` words it
    (for a type object validated as a field of a larger model, ``loc`` starts inside it)."""
    if issubclass(model, RootModel) and loc and isinstance(loc[0], str):
        loc = loc[1:]  # the tag of a discriminated union ("list", "button"), not a parameter
    else:
        loc = _without_tags(model, loc)
    path = param_path(root or type_name, loc)
    kind = item["type"]
    if kind == "union_tag_not_found":  # the discriminator (e.g. interactive "type") is absent
        return ApiError(1008, f"Parameter '{path}.type' is mandatory for type '{type_name}'")
    if kind == "union_tag_invalid":
        tag = (item.get("ctx") or {}).get("tag")
        return ApiError(1009, f"Parameter '{path}.type' has invalid value '{_shown(tag)}'")
    if kind == "missing":
        return ApiError(1008, f"Parameter '{path}' is mandatory for type '{type_name}'")
    if kind == "extra_forbidden":
        return ApiError(1010, f"Parameter '{path}' is not required for type '{type_name}'")
    if kind == ONPREM_ERROR:
        ctx = item.get("ctx") or {}
        return ApiError(int(ctx["code"]), str(ctx["details"]).replace(PARAM, path))
    return ApiError(1009, f"Parameter '{path}' has invalid value '{_shown(item.get('input'))}'")


def parse(model: type[BaseModel], value: Any, type_name: str, root: str | None = None) -> Any:
    """The validated object as plain JSON data (``None`` fields dropped)."""
    try:
        parsed = model.model_validate(value)
    except ValidationError as error:
        raise to_api_error(error, model, type_name, root) from None
    return parsed.model_dump(mode="json", exclude_none=True)
