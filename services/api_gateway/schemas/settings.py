"""``GET /v1/settings/application`` answer (spec §14): the settings object is
``services.settings.settings_schema.ApplicationSettings``, built from the declared
settings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.settings.settings_schema import ApplicationSettings


class ApplicationSettingsGroup(BaseModel):
    application: ApplicationSettings  # type: ignore[valid-type]


class ApplicationSettingsAnswer(BaseModel):
    settings: ApplicationSettingsGroup

    @classmethod
    def of(cls, effective: dict[str, Any]) -> ApplicationSettingsAnswer:
        """From ``app_settings.load`` (and the registered ``wa_id``)."""
        return cls.model_validate({"settings": {"application": effective}})
