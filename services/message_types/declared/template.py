"""``template`` and the legacy ``hsm`` (spec §6.1): message templates the network approved.

The models here check a request's shape (1008/1009/1010 with dotted paths, as the rest
of the registry). What depends on the business's templates (the translation, parameter
counts and formats, the 2000-range codes) is checked by the ``resolve`` hook with
:mod:`services.message_types.templates`, and the phone renders what it received with
the ``display`` hook from the network's template store.

A media header's parameter (image, video, document) is the object of that media kind
(the same models, and the same ``resolve`` check of the medium or provider, as a media
message's); the message is then prepared by the media service like a media message
(services/message_types/carried_media.py, docs/design.md "Outbound media").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from services.message_types import templates
from services.message_types.base import BusinessEnvironment, MessageType, PhoneEnvironment, Strict
from services.message_types.declared.media import Captioned, Document, check_reference
from services.message_types.fields import Amount1000, NonBlank, UnixSeconds, limited


class Language(Strict):
    policy: Literal["deterministic", "fallback"]
    code: limited(32)  # type: ignore[valid-type]


# -- template parameters -----------------------------------------------------------
class TextParameter(Strict):
    type: Literal["text"]
    text: NonBlank


class Currency(Strict):
    fallback_value: NonBlank
    code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    amount_1000: Amount1000


class CurrencyParameter(Strict):
    type: Literal["currency"]
    currency: Currency


class DateComponents(Strict):
    """A date and time by its parts (``template`` and ``hsm`` share them)."""

    day_of_week: Annotated[int, Field(ge=1, le=7)] | None = None
    day_of_month: Annotated[int, Field(ge=1, le=31)] | None = None
    year: Annotated[int, Field(ge=1, le=9999)] | None = None
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    hour: Annotated[int, Field(ge=0, le=23)] | None = None
    minute: Annotated[int, Field(ge=0, le=59)] | None = None
    calendar: Literal["GREGORIAN", "SOLAR_HIJRI"] | None = None


class DateTime(DateComponents):
    """``fallback_value`` and either the component fields or a ``timestamp``."""

    fallback_value: NonBlank
    timestamp: UnixSeconds | None = None

    @model_validator(mode="after")
    def _one_form(self) -> DateTime:
        components = (self.day_of_week, self.day_of_month, self.year, self.month, self.hour, self.minute)
        if self.timestamp is not None and any(value is not None for value in components):
            raise PydanticCustomError("date_time_form", "either the component fields or 'timestamp', not both")
        return self


class DateTimeParameter(Strict):
    type: Literal["date_time"]
    date_time: DateTime


class ImageParameter(Strict):
    type: Literal["image"]
    image: Captioned


class VideoParameter(Strict):
    type: Literal["video"]
    video: Captioned


class DocumentParameter(Strict):
    type: Literal["document"]
    document: Document


class PayloadParameter(Strict):
    type: Literal["payload"]
    payload: limited(1000)  # type: ignore[valid-type]


Parameter = Annotated[
    TextParameter | CurrencyParameter | DateTimeParameter | ImageParameter | VideoParameter
    | DocumentParameter | PayloadParameter,
    Field(discriminator="type"),
]


# -- template components -----------------------------------------------------------
class HeaderComponent(Strict):
    type: Literal["header"]
    parameters: Annotated[list[Parameter], Field(max_length=10)] | None = None


class BodyComponent(Strict):
    type: Literal["body"]
    parameters: Annotated[list[Parameter], Field(max_length=100)] | None = None


class ButtonComponent(Strict):
    type: Literal["button"]
    sub_type: Literal["quick_reply", "url"]
    index: Annotated[str, Field(pattern=r"^[0-9]$")] | Annotated[int, Field(ge=0, le=9)]
    parameters: Annotated[list[Parameter], Field(max_length=1)] | None = None


Component = Annotated[HeaderComponent | BodyComponent | ButtonComponent, Field(discriminator="type")]


class TemplateObject(Strict):
    namespace: limited(256)  # type: ignore[valid-type]
    name: limited(512)  # type: ignore[valid-type]
    language: Language
    components: Annotated[list[Component], Field(max_length=13)] | None = None


# -- legacy hsm ----------------------------------------------------------------------
class HsmCurrency(Strict):
    currency_code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    amount_1000: Amount1000


class HsmEpoch(Strict):
    timestamp: UnixSeconds


class HsmDateTime(Strict):
    component: DateComponents | None = None
    unix_epoch: HsmEpoch | None = None

    @model_validator(mode="after")
    def _one_form(self) -> HsmDateTime:
        if (self.component is None) == (self.unix_epoch is None):
            raise PydanticCustomError("date_time_form", "exactly one of 'component' and 'unix_epoch'")
        return self


class LocalizableParam(Strict):
    default: NonBlank
    currency: HsmCurrency | None = None
    date_time: HsmDateTime | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> LocalizableParam:
        if self.currency is not None and self.date_time is not None:
            raise PydanticCustomError("param_kind", "a parameter is a currency or a date_time, not both")
        return self


class HsmObject(Strict):
    namespace: limited(256)  # type: ignore[valid-type]
    element_name: limited(512)  # type: ignore[valid-type]
    language: Language
    localizable_params: Annotated[list[LocalizableParam], Field(max_length=100)] | None = None


# -- hooks -----------------------------------------------------------------------------
def _display(kind: str) -> Any:
    def display(obj: Any, env: PhoneEnvironment) -> Any:
        return templates.display(kind, obj, env.templates)

    return display


def _resolve(kind: str) -> Any:
    def resolve(obj: Any, env: BusinessEnvironment) -> dict[str, Any]:
        resolved = templates.resolve(kind, obj, env)
        header = templates.media_header(obj) if kind == "template" else None
        if header is not None:  # the template's checks passed: its header is media
            resolved["header_media"] = check_reference(header.kind, header.obj, env, header.path)
        return resolved

    return resolve


TYPES = (
    MessageType("template", outbound=TemplateObject, free_form=False,
                display=_display("template"), resolve=_resolve("template")),
    MessageType("hsm", outbound=HsmObject, free_form=False, display=_display("hsm"), resolve=_resolve("hsm")),
)
