"""``POST /v1/settings/application/media/providers`` (spec §8.3): an array holding
exactly one provider, ``{"name", "type": "www", "config": {"bearer": …} | {"basic":
{"username", "password"}}, "hosts"?: ["host" | "host:port", …]}``. Posting a name again
replaces that provider. ``hosts`` is an extension (issue 12): where the credentials may
go; without it the provider is stored, but a send naming it is refused."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator, model_validator
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from services.api_gateway.schemas.common import first_error
from services.common import egress_rules
from services.common.errors import ApiError
from services.media.providers import MASK, Masked, Provider

NAME_PATTERN = r"^[A-Za-z0-9._~-]{1,64}$"
"""URL-safe (RFC 3986 unreserved), so that ``DELETE …/providers/{name}`` can name it."""

NOT_ONE = "The body must be an array with exactly one media provider"
MAX_HOSTS = 32
HOSTS_EXTENSION: JsonDict = {
    "x-extension": "where the credentials may go (issue 12): without it a send naming the provider is refused, "
                   "so that a link cannot carry them to any host"}
MASKING_EXTENSION: JsonDict = {"x-extension": "secrets are answered masked: answers end up in clients' logs"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BasicCredentials(_Strict):
    username: str = Field(min_length=1, max_length=256, pattern=r"^[^:\x00-\x1f\x7f]+$")
    password: str = Field(min_length=1, max_length=1024, pattern=r"^[^\x00-\x1f\x7f]+$")


class ProviderCredentials(_Strict):
    bearer: str | None = Field(default=None, min_length=1, max_length=4096, pattern=r"^[!-~]+$")
    basic: BasicCredentials | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ProviderCredentials:
        if (self.bearer is None) == (self.basic is None):
            raise PydanticCustomError("provider_auth", "exactly one of 'bearer' and 'basic'")
        return self


class MediaProvider(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    type: Literal["www"]
    config: ProviderCredentials
    hosts: list[str] | None = Field(default=None, min_length=1, max_length=MAX_HOSTS,
                                    description="host or host:port", json_schema_extra=HOSTS_EXTENSION)

    @field_validator("hosts")
    @classmethod
    def _host_entries(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        normal: list[str] = []
        for entry in value:
            if len(entry) > 262:
                raise PydanticCustomError("provider_host", "each host is host or host:port")
            try:
                host, port = egress_rules.parse_host_entry(entry)
            except ValueError:
                raise PydanticCustomError("provider_host", "each host is host or host:port") from None
            shown = egress_rules.host_entry(host, port)
            if shown not in normal:
                normal.append(shown)
        return normal


def parse_provider(body: Any) -> Provider:
    if not isinstance(body, list) or len(body) != 1:
        raise ApiError(1009, NOT_ONE)
    item = body[0]
    if not isinstance(item, dict):
        raise ApiError(1009, NOT_ONE)
    try:
        parsed = MediaProvider.model_validate(item)
    except ValidationError as error:
        raise _masked(first_error(error)) from None
    config = parsed.config
    hosts = tuple(parsed.hosts) if parsed.hosts is not None else None
    if config.bearer is not None:
        return Provider(parsed.name, parsed.type, bearer=config.bearer, hosts=hosts)
    assert config.basic is not None  # _one_kind
    return Provider(parsed.name, parsed.type, username=config.basic.username, password=config.basic.password,
                    hosts=hosts)


def _masked(error: ApiError) -> ApiError:
    """A refused credential is never echoed back (answers end up in clients' logs)."""
    details = error.details or ""
    if "'config.bearer'" in details or "'config.basic.password'" in details:
        path = details.split("'")[1]
        return ApiError(error.code, f"Parameter '{path}' has invalid value")
    return error


ProvidersBody = RootModel[Annotated[list[MediaProvider], Field(min_length=1, max_length=1)]]
"""What the OpenAPI document shows; ``parse_provider`` validates each item with ``MediaProvider``."""


class ShownBasicCredentials(BaseModel):
    username: str
    # Literal: an answer carrying the secret itself is refused by the model and the document.
    password: Masked = Field(description=f"always {MASK}")


class ShownCredentials(BaseModel):
    model_config = ConfigDict(json_schema_extra=MASKING_EXTENSION)

    bearer: Masked | None = Field(default=None, description=f"always {MASK}")
    basic: ShownBasicCredentials | None = None


class ShownProvider(BaseModel):
    name: str
    type: Literal["www"]
    config: ShownCredentials
    hosts: list[str] | None = Field(default=None, json_schema_extra=HOSTS_EXTENSION)


class MediaProvidersMedia(BaseModel):
    providers: list[ShownProvider]


class MediaProvidersApplication(BaseModel):
    media: MediaProvidersMedia


class MediaProvidersSettings(BaseModel):
    application: MediaProvidersApplication


class MediaProvidersAnswer(BaseModel):
    settings: MediaProvidersSettings

    @classmethod
    def of(cls, providers: list[dict[str, Any]]) -> MediaProvidersAnswer:
        """From ``services.media.providers.listed``."""
        return cls.model_validate({"settings": {"application": {"media": {"providers": providers}}}})
