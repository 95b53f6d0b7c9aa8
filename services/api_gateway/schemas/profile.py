"""Bodies and answers of ``/v1/settings/profile/*`` and ``/v1/settings/business/profile``
(spec §9.1, §9.2): every field and limit of the original, in one place."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.api_gateway.schemas.common import first_error, require_object
from services.common.errors import ApiError
from services.profile.profile_rules import (
    ABOUT_MAX,
    EMAIL_MAX,
    TEXT_MAX,
    WEBSITES_MAX,
    Vertical,
    is_email,
    is_website,
)

LINK_TOKEN_MAX = 128  # a link's token is 43 characters: anything much longer is not one
TOO_MANY_WEBSITES = f"Max number of websites allowed is {WEBSITES_MAX}"


class AboutBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    text: str = Field(max_length=ABOUT_MAX)


class BusinessProfileBody(BaseModel):
    """A partial update: the fields given replace the stored ones, the others stay."""

    model_config = ConfigDict(extra="ignore", strict=True)

    address: str | None = Field(default=None, max_length=TEXT_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    vertical: Vertical | None = None
    websites: list[str] | None = Field(default=None, max_length=WEBSITES_MAX)

    @field_validator("email")
    @classmethod
    def _an_address(cls, email: str | None) -> str | None:
        # "" clears the address; anything else must be one.
        if email and not is_email(email):
            raise ValueError("not an email address")
        return email

    @field_validator("websites")
    @classmethod
    def _http_urls(cls, websites: list[str] | None) -> list[str] | None:
        for website in websites or []:
            if not is_website(website):
                raise ValueError("not an http(s) URL of at most 256 characters")
        return websites

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def parse_business_profile(body: Any) -> BusinessProfileBody:
    try:
        return BusinessProfileBody.model_validate(require_object(body))
    except ValidationError as error:
        item = error.errors()[0]
        if item["loc"] == ("websites",) and item["type"] == "too_long":
            raise ApiError(1009, TOO_MANY_WEBSITES) from None
        raise first_error(error) from None


class PhotoQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: Literal["link"] | None = None


class PhotoLinkQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str = Field(max_length=LINK_TOKEN_MAX)


# -- answers ------------------------------------------------------------------

class AboutText(BaseModel):
    text: str


class AboutProfile(BaseModel):
    about: AboutText


class AboutSettings(BaseModel):
    profile: AboutProfile


class AboutAnswer(BaseModel):
    settings: AboutSettings


class PhotoLink(BaseModel):
    link: str


class PhotoProfile(BaseModel):
    photo: PhotoLink


class PhotoSettings(BaseModel):
    profile: PhotoProfile


class PhotoLinkAnswer(BaseModel):
    settings: PhotoSettings


class BusinessProfile(BaseModel):
    address: str
    description: str
    email: str
    vertical: str
    websites: list[str]


class BusinessProfileHolder(BaseModel):
    profile: BusinessProfile


class BusinessSettings(BaseModel):
    business: BusinessProfileHolder


class BusinessProfileAnswer(BaseModel):
    settings: BusinessSettings
