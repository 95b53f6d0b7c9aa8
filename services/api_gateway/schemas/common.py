"""Helpers shared by the request schemas."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from services.api_gateway.schemas import json_limits
from services.common.errors import ApiError, invalid, missing
from services.message_types.fields import ONPREM_ERROR, PARAM
from services.message_types.validation import param_path

M = TypeVar("M", bound=BaseModel)


def require_object(body: Any) -> dict[str, Any]:
    """The JSON body as an object; ``None`` (no body) becomes ``{}``."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(1025, "Request body must be a JSON object")
    return body


def missing_when(*absent: Any) -> BeforeValidator:
    """A field whose value is one of ``absent`` (``None``, ``""``) is reported missing, as
    the original reports it, before the field's type sees it. List it last in
    ``Annotated``: pydantic runs before validators last listed first."""

    # Compared with their types: 0 and False are values, not "".
    markers = tuple((type(marker), marker) for marker in absent)

    def check(value: Any) -> Any:
        for kind, marker in markers:
            if type(value) is kind and value == marker:
                raise PydanticCustomError("missing", "Field required")
        return value

    return BeforeValidator(check)


def first_error(error: ValidationError) -> ApiError:
    """Map pydantic's first error onto 1008 (missing), 1010 (extra), 1009 (invalid), or
    the code and wording a validator attached (``fields.onprem_error``)."""
    return item_error(error.errors()[0])


def item_error(item: Any) -> ApiError:
    """One pydantic error as ``first_error`` words it."""
    loc = tuple(item["loc"])
    path = param_path(str(loc[0]), loc[1:]) if loc else ""
    if item["type"] == "missing":
        return missing(path)
    if item["type"] == "extra_forbidden":
        return ApiError(1010, f"Parameter '{path}' is not required")
    if item["type"] == ONPREM_ERROR:
        ctx = item.get("ctx") or {}
        return ApiError(int(ctx["code"]), str(ctx["details"]).replace(PARAM, path))
    return invalid(path, item.get("input"))


def parse(model: type[M], body: Any, context: dict[str, Any] | None = None) -> M:
    try:
        return model.model_validate(require_object(body), context=context)
    except ValidationError as error:
        raise first_error(error) from None


def json_body() -> Any:
    """The request's JSON (``None`` when there is no body); 1025 when it is not JSON.

    The one entry point of every JSON body: ``json_limits`` bounds its nesting, its
    size and its numbers, and refuses what MongoDB could not store, before any schema
    sees it. The content type is not enforced: clients of the original often omit it.
    """
    raw = _request_bytes()
    if not raw.strip():
        return None
    return json_limits.loads(raw)


def _request_bytes() -> bytes:
    from flask import request
    from werkzeug.exceptions import RequestEntityTooLarge

    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # werkzeug stops reading a streamed (chunked) body at the limit without a word:
        # one byte more means the body was larger, and a prefix of it is not the body.
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    return raw
