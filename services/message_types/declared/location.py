"""``location``: both ways (spec §6.1, §15.2). The address shows only under a name."""

from __future__ import annotations

from services.message_types.base import MessageType, Strict
from services.message_types.fields import Latitude, Longitude, limited


class LocationObject(Strict):
    longitude: Longitude
    latitude: Latitude
    name: limited(1000) | None = None  # type: ignore[valid-type]
    address: limited(1000) | None = None  # type: ignore[valid-type]


class InboundLocation(LocationObject):
    url: limited(2000) | None = None  # type: ignore[valid-type]


TYPES = (MessageType("location", outbound=LocationObject, inbound=InboundLocation),)
