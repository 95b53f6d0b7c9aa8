"""The application settings as pydantic models, built from ``app_settings.SETTINGS``:
what ``GET /v1/settings/application`` answers and what a PATCH may carry. The OpenAPI
document shows them and the gateway builds its answer from the first, so neither can
say another thing than the declarations. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from services.settings.app_settings import READ_ONLY, SETTINGS, Setting

WA_ID = "wa_id"
if READ_ONLY != {WA_ID}:
    raise RuntimeError("a read-only setting is not in the models below")


class _Answered(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patched(BaseModel):
    # An unknown key is refused (1009 "Unknown parameter"); null counts as not sent; as
    # in the kinds, a JSON string is never a boolean nor a number a number's string.
    model_config = ConfigDict(extra="forbid", strict=True)


def _tree(settings: tuple[Setting, ...]) -> dict[str, Any]:
    """The dotted paths as nested dicts (leaves: the Setting), in declaration order."""
    tree: dict[str, Any] = {}
    for setting in settings:
        node = tree
        *parents, leaf = setting.path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = setting
    return tree


def _model(name: str, tree: dict[str, Any], base: type[BaseModel],
           field_of: Callable[[Setting], tuple[Any, Any]], group_default: Any) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, node in tree.items():
        if isinstance(node, Setting):
            fields[key] = field_of(node)
        else:
            group = _model(f"{name}_{key}", node, base, field_of, group_default)
            fields[key] = (group if group_default is ... else group | None, group_default)
    return create_model(name, __base__=base, **fields)


def _answered(setting: Setting) -> tuple[Any, Any]:
    return setting.kind.stored(), Field(description=setting.note)


def _patched(setting: Setting) -> tuple[Any, Any]:
    return setting.kind.accepted() | None, Field(default=None, description=setting.note)


def answer_model() -> type[BaseModel]:
    """Every setting, as GET answers it (defaults under the stored values), and the
    registered number, which only GET has."""
    fields = _tree(SETTINGS)
    model = _model("ApplicationSettings", fields, _Answered, _answered, ...)
    return create_model("ApplicationSettings", __base__=model, wa_id=(
        str | None, Field(default=None, description="The registered number (read-only; absent before registration)")))


def patch_model() -> type[BaseModel]:
    """Any of the settings; read-only ``wa_id`` is taken and ignored."""
    model = _model("ApplicationSettingsPatch", _tree(SETTINGS), _Patched, _patched, None)
    return create_model("ApplicationSettingsPatch", __base__=model, wa_id=(
        Any, Field(default=None, description="Read-only: ignored (clients send back what they read)")))


ApplicationSettings = answer_model()
ApplicationSettingsPatch = patch_model()
