"""``order``: a user sent the business a cart from its catalog (spec §15.2); inbound
only. The field list is the Cloud API's, which the spec marks [unverified] for On-Prem."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from services.message_types.base import MessageType, Strict
from services.message_types.fields import Text, limited

MAX_ITEMS = 100
"""More than a WhatsApp cart holds (30 products): a bound, not a product rule."""


class ProductItem(Strict):
    product_retailer_id: limited(100)  # type: ignore[valid-type]
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    # A price as the catalog lists it, in the currency's unit (e.g. 12.5); bounded so
    # that MongoDB stores it exactly enough and no JSON infinity gets through.
    item_price: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]  # ISO 4217


class OrderObject(Strict):
    catalog_id: limited(100)  # type: ignore[valid-type]
    text: Annotated[Text, Field(max_length=4096)] | None = None  # what the user wrote with the cart
    product_items: Annotated[list[ProductItem], Field(min_length=1, max_length=MAX_ITEMS)]


TYPES = (MessageType("order", inbound=OrderObject),)
