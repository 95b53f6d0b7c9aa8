from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict

from services.api_gateway.schemas.common import missing_when, parse
from services.common.errors import ApiError
from services.message_types.fields import PARAM, onprem_error


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: Annotated[str, missing_when(None, "")]
    count: Annotated[int, missing_when(None)] = 0


def error_of(body: object) -> tuple[int, str | None]:
    with pytest.raises(ApiError) as caught:
        parse(Body, body)
    return caught.value.code, caught.value.details


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": ""}])
def test_absent_null_or_empty_is_missing(body):
    assert error_of(body) == (1008, "Missing mandatory parameter 'name'")


def test_only_the_listed_values_are_missing():
    # 0 equals False and "" is falsy: neither is "absent" unless listed, with its type.
    assert error_of({"name": "a", "count": False}) == (1009, "Parameter 'count' has invalid value 'False'")
    assert parse(Body, {"name": "a", "count": 0}).count == 0
    assert error_of({"name": "a", "count": None}) == (1008, "Missing mandatory parameter 'count'")


def test_paths_name_list_items_as_the_original_does():
    class Listing(BaseModel):
        items: list[Body]

    with pytest.raises(ApiError) as caught:
        parse(Listing, {"items": [{"name": "a"}, {"name": "b", "count": "x"}]})
    assert caught.value.details == "Parameter 'items[1].count' has invalid value 'x'"


def test_a_validator_can_attach_its_own_code_and_wording():
    def refuse(value: str) -> str:
        raise onprem_error(1014, f"{PARAM} is refused")

    class Refusing(BaseModel):
        field: Annotated[str, AfterValidator(refuse)]

    with pytest.raises(ApiError) as caught:
        parse(Refusing, {"field": "x"})
    assert (caught.value.code, caught.value.details) == (1014, "field is refused")
