"""``template`` and the legacy ``hsm`` (spec §6.1): message templates the network approved.

Declared here with their request shapes; checking a send against the network's
template and rendering it for the phone are being built, so they are not
``available`` yet.
"""

from __future__ import annotations

from typing import Any, Literal

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited


class Language(Strict):
    policy: Literal["deterministic", "fallback"]
    code: limited(32)  # type: ignore[valid-type]


class TemplateObject(Strict):
    namespace: limited(256)  # type: ignore[valid-type]
    name: limited(512)  # type: ignore[valid-type]
    language: Language
    components: list[dict[str, Any]] | None = None


class HsmObject(Strict):
    namespace: limited(256)  # type: ignore[valid-type]
    element_name: limited(512)  # type: ignore[valid-type]
    language: Language
    localizable_params: list[dict[str, Any]] | None = None


TYPES = (
    MessageType("template", outbound=TemplateObject, free_form=False, available=False),
    MessageType("hsm", outbound=HsmObject, free_form=False, available=False),
)
