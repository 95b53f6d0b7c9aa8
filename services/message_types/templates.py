"""Checking a template send against the business's templates, and rendering it. Pure.

A *definition* is a template as the network holds it (``GET /network/v1/templates``):
``{"id", "namespace", "name", "language", "category", "status", "components": [
{"type": "HEADER", "format": "TEXT"|"IMAGE"|"VIDEO"|"DOCUMENT", "text"?}, {"type": "BODY",
"text"}, {"type": "FOOTER", "text"}, {"type": "BUTTONS", "buttons": [{"type":
"QUICK_REPLY", "text"} | {"type": "URL", "text", "url"}]}]}``, placeholders ``{{1}}``...

The gateway calls :func:`resolve` on a validated ``template`` or ``hsm`` object (the
original answers these errors synchronously, spec §3.1): the translation (2001-2003),
then each component's parameters (2000, 2004-2006, 2009, 2010, 2012) and the rendered
length (2005). The phone calls :func:`display` to show what it received, and the core
asks :func:`send_failure` at send time whether the template was paused or disabled
since (2061/2062, an asynchronous ``failed`` status). A media header (IMAGE, VIDEO,
DOCUMENT) takes one parameter of its kind (:func:`media_header`), whose object is the
media kind's, checked by the ``template`` type's hook (declared/template.py) as a media
message's is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from services.common.errors import ApiError
from services.message_types.base import BusinessEnvironment

PLACEHOLDER = re.compile(r"\{\{([1-9][0-9]?)\}\}")
MAX_BODY = 1024
MAX_HEADER = 60
MAX_URL = 2000
MAX_CONSECUTIVE_SPACES = 4
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
MEDIA_KINDS = tuple(fmt.lower() for fmt in MEDIA_FORMATS)
"""The header parameter types of the media formats (each is also a media message type)."""
REJECTED = "REJECTED"
FAILING_STATUSES = {"PAUSED": 2061, "DISABLED": 2062}
NOT_FOUND_CODES = (2001, 2002, 2003)

Definition = dict[str, Any]


# -- translations ------------------------------------------------------------------------
def base_language(code: str) -> str:
    return code.split("_", 1)[0]


def find_translation(namespace: str, name: str, code: str, policy: str,
                     translations: Iterable[Definition]) -> Definition:
    """The translation a send gets (docs/compatibility.md "Templates").

    deterministic: exactly ``code``; 2003 when the language exists in another locale
    only, 2002 when it does not exist at all. fallback: ``code``, else the bare language
    (``en`` for ``en_US``), else its first other locale (``en_GB``), else 2002. A
    REJECTED template is not one the business can send: it counts as absent (2001).
    """
    by_language = {t["language"]: t for t in translations if t.get("status") != REJECTED}
    if not by_language:
        raise ApiError(2001, f"Template '{name}' does not exist in namespace '{namespace}'")
    if code in by_language:
        return by_language[code]
    base = base_language(code)
    same_language = sorted(language for language in by_language if base_language(language) == base)
    if policy == "fallback":
        if base in by_language:
            return by_language[base]
        if same_language:
            return by_language[same_language[0]]
    elif same_language:
        raise ApiError(2003, f"Template '{name}' has no translation for locale '{code}' "
                             f"(it has {', '.join(same_language)})")
    raise ApiError(2002, f"Template '{name}' has no translation for language '{code}'")


# -- the definition's parts ----------------------------------------------------------------
def placeholder_count(text: str | None) -> int:
    return len(set(PLACEHOLDER.findall(text or "")))


def _component(definition: Definition, kind: str) -> dict[str, Any] | None:
    for component in definition.get("components", []):
        if component.get("type") == kind:
            return component
    return None


def _buttons(definition: Definition) -> list[dict[str, Any]]:
    component = _component(definition, "BUTTONS")
    return list(component.get("buttons", [])) if component else []


def substitute(text: str, values: list[str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1] if int(m.group(1)) <= len(values) else m.group(0),
                           text)


# -- what a request gives each component ------------------------------------------------------
@dataclass
class Values:
    """A send's parameters, by component, as the user will see them."""

    header: list[dict[str, Any]] | None = None
    body: list[dict[str, Any]] | None = None
    buttons: dict[int, tuple[str, list[dict[str, Any]], int]] = field(default_factory=dict)
    """index -> (sub_type, parameters, position in the request's components)."""


def _template_values(obj: dict[str, Any]) -> Values:
    values = Values()
    for position, component in enumerate(obj.get("components") or []):
        kind = component["type"]
        parameters = component.get("parameters") or []
        path = f"template.components[{position}]"
        if kind == "button":
            index = int(component["index"])
            if index in values.buttons:
                raise ApiError(1009, f"Parameter '{path}.index' has invalid value '{index}': "
                                     "two components for one button")
            values.buttons[index] = (component["sub_type"], parameters, position)
        elif getattr(values, kind) is not None:
            raise ApiError(1009, f"Parameter '{path}.type' has invalid value '{kind}': "
                                 "a template takes one component of each type")
        else:
            setattr(values, kind, parameters)
    return values


def _hsm_values(obj: dict[str, Any]) -> Values:
    """Legacy ``localizable_params`` are the body's parameters, ``default`` their text."""
    params = []
    for param in obj.get("localizable_params") or []:
        if "currency" in param:
            params.append({"type": "currency", "currency": {"fallback_value": param["default"]}})
        elif "date_time" in param:
            params.append({"type": "date_time", "date_time": {"fallback_value": param["default"]}})
        else:
            params.append({"type": "text", "text": param["default"]})
    return Values(body=params if obj.get("localizable_params") is not None else None)


def _shown(parameter: dict[str, Any]) -> str:
    """What a text, currency or date_time parameter shows: currency and date_time by
    their fallback value (the phone does not localise them)."""
    kind = parameter["type"]
    if kind == "text":
        return str(parameter["text"])
    return str(parameter[kind]["fallback_value"])


# -- the checks --------------------------------------------------------------------------------
def _whitespace_ok(text: str) -> bool:
    return "\n" not in text and "\t" not in text and " " * (MAX_CONSECUTIVE_SPACES + 1) not in text


def _check_count(where: str, expected: int, given: list[dict[str, Any]] | None) -> None:
    if given is None:
        if expected:
            raise ApiError(2009, f"The template's {where} needs {expected} parameter(s): "
                                 f"the request has no {where} component")
        return
    if len(given) != expected:
        raise ApiError(2000, f"The template's {where} expects {expected} parameter(s), got {len(given)}")


def _check_texts(where: str, parameters: list[dict[str, Any]], allowed: tuple[str, ...], limit: int) -> list[str]:
    shown = []
    for number, parameter in enumerate(parameters, 1):
        kind = parameter["type"]
        if kind not in allowed:
            raise ApiError(2012, f"Parameter {number} of the {where} is '{kind}': the template takes "
                                 f"{' or '.join(allowed)} there")
        text = _shown(parameter)
        if not _whitespace_ok(text):
            raise ApiError(2006, f"Parameter {number} of the {where} has a newline, a tab or more than "
                                 f"{MAX_CONSECUTIVE_SPACES} consecutive spaces")
        if len(text) > limit:
            raise ApiError(2004, f"Parameter {number} of the {where} is {len(text)} characters; "
                                 f"at most {limit}")
        shown.append(text)
    return shown


def _check_header(definition: Definition, values: Values) -> str | None:
    header = _component(definition, "HEADER")
    if header is None:
        _check_count("header", 0, values.header)
        return None
    fmt = header.get("format", "TEXT")
    if fmt in MEDIA_FORMATS:
        _check_count("header", 1, values.header)
        assert values.header is not None
        kind = values.header[0]["type"]
        if kind != fmt.lower():
            raise ApiError(2012, f"The template's header is {fmt.lower()}: the request gives '{kind}'")
        return None  # the medium is the header: its object is checked by the kind's hook
    _check_count("header", placeholder_count(header.get("text")), values.header)
    shown = _check_texts("header", values.header or [], ("text",), MAX_HEADER)
    rendered = substitute(str(header.get("text", "")), shown)
    if len(rendered) > MAX_HEADER:
        raise ApiError(2005, f"The rendered header is {len(rendered)} characters; at most {MAX_HEADER}")
    return rendered


def _check_body(definition: Definition, values: Values) -> str:
    body = _component(definition, "BODY") or {"text": ""}
    _check_count("body", placeholder_count(body.get("text")), values.body)
    shown = _check_texts("body", values.body or [], ("text", "currency", "date_time"), MAX_BODY)
    rendered = substitute(str(body.get("text", "")), shown)
    if len(rendered) > MAX_BODY:
        raise ApiError(2005, f"The rendered body is {len(rendered)} characters; at most {MAX_BODY}")
    return rendered


def _valid_url(url: str, suffix: str) -> bool:
    if not suffix or any(c.isspace() or ord(c) < 32 for c in suffix) or len(url) > MAX_URL:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_buttons(definition: Definition, values: Values) -> list[dict[str, Any]]:
    buttons = _buttons(definition)
    for index, (sub_type, _, position) in sorted(values.buttons.items()):
        if index >= len(buttons):
            raise ApiError(1009, f"Parameter 'template.components[{position}].index' has invalid value "
                                 f"'{index}': the template has {len(buttons)} button(s)")
        wanted = buttons[index].get("type", "").lower()
        if wanted != sub_type:
            raise ApiError(2012, f"Button {index} of the template is {wanted}: the request gives '{sub_type}'")
    rendered = []
    for index, button in enumerate(buttons):
        kind = button.get("type")
        given = values.buttons.get(index)
        parameters = given[1] if given else None
        if kind == "URL":
            url = str(button.get("url", ""))
            _check_count(f"button {index}", placeholder_count(url), parameters)
            if parameters:
                if parameters[0]["type"] != "text":
                    raise ApiError(2012, f"Button {index} takes a text URL suffix, got '{parameters[0]['type']}'")
                suffix = str(parameters[0]["text"])
                url = substitute(url, [suffix])
                if not _valid_url(url, suffix):
                    raise ApiError(2010, f"Button {index}: the URL with this suffix is not a valid URL")
            rendered.append({"type": "url", "text": button.get("text", ""), "url": url})
        elif kind == "QUICK_REPLY":
            payload = str(button.get("text", ""))
            if parameters:
                if parameters[0]["type"] != "payload":
                    raise ApiError(2012, f"Button {index} takes a payload, got '{parameters[0]['type']}'")
                payload = str(parameters[0]["payload"])
            rendered.append({"type": "quick_reply", "text": button.get("text", ""), "payload": payload})
        else:
            rendered.append({"type": str(kind).lower(), "text": button.get("text", "")})
    return rendered


@dataclass(frozen=True)
class Rendered:
    header: str | None
    body: str
    footer: str | None
    buttons: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """The message as the user reads it: header, body, footer, then the buttons
        (``[Yes]``, ``[Track it](https://x.example/abc)``), one per line."""
        lines = [part for part in (self.header, self.body, self.footer) if part]
        for button in self.buttons:
            url = button.get("url")
            lines.append(f"[{button['text']}]({url})" if url else f"[{button['text']}]")
        return "\n".join(lines)


def check(definition: Definition, values: Values) -> Rendered:
    """The send's parameters against the translation; what the user will see."""
    header = _check_header(definition, values)
    body = _check_body(definition, values)
    buttons = _check_buttons(definition, values)
    footer_component = _component(definition, "FOOTER")
    footer = str(footer_component.get("text", "")) if footer_component else None
    return Rendered(header, body, footer, buttons)


# -- a media header's parameter --------------------------------------------------------------
@dataclass(frozen=True)
class HeaderMedia:
    """The one parameter of a request's media header: ``{"type": kind, kind: obj}``."""

    kind: str
    obj: dict[str, Any]
    path: str
    """Where it is in the request (``template.components[0].parameters[0].image``)."""


def media_header(obj: Any) -> HeaderMedia | None:
    """The media parameter of a ``template`` object's header, or None (no header, a text
    header). Tolerant of any shape: a phone calls it on what it received."""
    components = obj.get("components") if isinstance(obj, dict) else None
    for position, component in enumerate(components if isinstance(components, list) else []):
        if not isinstance(component, dict) or component.get("type") != "header":
            continue
        parameters = component.get("parameters")
        if not isinstance(parameters, list) or len(parameters) != 1 or not isinstance(parameters[0], dict):
            return None
        kind = parameters[0].get("type")
        if kind not in MEDIA_KINDS or not isinstance(parameters[0].get(kind), dict):
            return None
        return HeaderMedia(kind, parameters[0][kind], f"template.components[{position}].parameters[0].{kind}")
    return None


def with_header_media(obj: dict[str, Any], replacement: Any) -> dict[str, Any]:
    """``obj`` (a template object with a media header) whose header parameter holds
    ``replacement`` in place of its object; ``obj`` itself is left as it is."""
    components = []
    for component in obj["components"]:
        if isinstance(component, dict) and component.get("type") == "header":
            kind = component["parameters"][0]["type"]
            component = {**component, "parameters": [{"type": kind, kind: replacement}]}
        components.append(component)
    return {**obj, "components": components}


# -- the entry points ------------------------------------------------------------------------
def _name(kind: str, obj: dict[str, Any]) -> str:
    return str(obj["element_name"] if kind == "hsm" else obj["name"])


def _values(kind: str, obj: dict[str, Any]) -> Values:
    return _hsm_values(obj) if kind == "hsm" else _template_values(obj)


def _resolve_once(kind: str, obj: dict[str, Any], translations: list[Definition]) -> tuple[Definition, Rendered]:
    name = _name(kind, obj)
    language = obj["language"]
    definition = find_translation(obj["namespace"], name, language["code"], language["policy"], translations)
    return definition, check(definition, _values(kind, obj))


def resolve(kind: str, obj: dict[str, Any], env: BusinessEnvironment) -> dict[str, Any]:
    """The gateway's check (``MessageType.resolve``).

    A template the cache does not have (yet) is looked up again after the cache was
    refreshed from the network, so that one created a moment ago is usable at once.
    Returns what is stored with the message: the translation it resolved to.
    """
    name = _name(kind, obj)
    try:
        definition, _ = _resolve_once(kind, obj, env.templates(obj["namespace"], name))
    except ApiError as error:
        if error.code not in NOT_FOUND_CODES:
            raise
        env.refresh_templates()
        definition, _ = _resolve_once(kind, obj, env.templates(obj["namespace"], name))
    return {"language": definition["language"], "template": definition}


def display(kind: str, obj: Any, templates: Callable[[str, str], list[Definition]]) -> Any:
    """What the phone shows: the object with ``rendered`` (the text, or None when the
    phone cannot find the template any more) and ``buttons`` (what each button says and
    does: the payload a quick-reply tap sends back, the URL a URL button opens)."""
    if not isinstance(obj, dict):
        return obj
    try:
        _, rendered = _resolve_once(kind, obj, templates(str(obj["namespace"]), _name(kind, obj)))
    except (ApiError, AttributeError, KeyError, TypeError, ValueError):  # not validated on this side
        return {**obj, "rendered": None}
    return {**obj, "rendered": rendered.text, "buttons": rendered.buttons}


def send_failure(accepted: Definition, status_now: str | None) -> dict[str, Any] | None:
    """Whether a stored template message must fail at send time: the ``errors[]`` item
    (2061 paused, 2062 disabled) or None. ``accepted`` is the translation the message
    resolved to when the API accepted it; ``status_now`` its status in the cache now
    (None: the network no longer lists it, and the accepted status stands)."""
    status = status_now or accepted.get("status")
    code = FAILING_STATUSES.get(str(status))
    if code is None:
        return None
    return ApiError(code, f"Template '{accepted.get('name')}' is {str(status).lower()}").to_dict()
