"""The business's message templates, as the network approved them (ARCHITECTURE.md §4).

One template per namespace + name + language; posting the same three again replaces
it (a new status included: that is how tests pause, disable or reject one). Every
registered business sees every template: the sandbox models one business account.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.changes import Changes, Key
from sandbox.errors import bad_request
from sandbox.ids import item_id
from sandbox.validation import require_object

STATUSES = ("APPROVED", "PAUSED", "DISABLED", "REJECTED")
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
HEADER_FORMATS = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT")
BUTTON_TYPES = ("QUICK_REPLY", "URL")
MAX_BUTTONS = 10
LIMITS = {"HEADER": 60, "BODY": 1024, "FOOTER": 60}
MAX_PLACEHOLDERS = {"HEADER": 1, "BODY": 99, "FOOTER": 0}

_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_PLACEHOLDER = re.compile(r"\{\{([0-9]+)\}\}")
_URL = re.compile(r"^https?://[^\s/]+[^\s]*$")


TEMPLATE = "template"
"""Journal record kind (sandbox/changes.py): ``(TEMPLATE, "namespace:name:language")``."""


def _key(namespace: str, name: str, language: str) -> str:
    return f"{namespace}:{name}:{language}"


def _placeholders(where: str, text: str, at_most: int) -> int:
    numbers = [int(n) for n in _PLACEHOLDER.findall(text)]
    distinct = sorted(set(numbers))
    if distinct != list(range(1, len(distinct) + 1)):
        raise bad_request(f"{where}: placeholders must be {{{{1}}}}, {{{{2}}}}, ... in sequence")
    if len(distinct) > at_most:
        raise bad_request(f"{where}: at most {at_most} placeholder(s)")
    return len(distinct)


def _text(component: dict[str, Any], where: str, limit: int) -> str:
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request(f"{where}: 'text' must be a non-empty string")
    if len(text) > limit:
        raise bad_request(f"{where}: 'text' must be at most {limit} characters")
    return text


def _check_buttons(component: dict[str, Any], where: str) -> list[dict[str, Any]]:
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise bad_request(f"{where}: 'buttons' must be a list of 1 to {MAX_BUTTONS} buttons")
    checked = []
    for index, button in enumerate(buttons):
        at = f"{where}.buttons[{index}]"
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            raise bad_request(f"{at}: 'type' must be one of {', '.join(BUTTON_TYPES)}")
        text = _text(button, at, 25)
        if button["type"] == "URL":
            url = button.get("url")
            if not isinstance(url, str) or not _URL.match(url) or len(url) > 2000:
                raise bad_request(f"{at}: 'url' must be an http(s) URL")
            if _placeholders(at, url, 1) and not url.endswith("{{1}}"):
                raise bad_request(f"{at}: the URL's placeholder must be at its end")
            checked.append({"type": "URL", "text": text, "url": url})
        else:
            checked.append({"type": "QUICK_REPLY", "text": text})
    return checked


def check_components(value: Any) -> list[dict[str, Any]]:
    """The template's components in a fixed order (header, body, footer, buttons); 400
    on anything a business could not have had approved."""
    if not isinstance(value, list) or not value:
        raise bad_request("'components' must be a non-empty list")
    found: dict[str, dict[str, Any]] = {}
    for index, component in enumerate(value):
        where = f"components[{index}]"
        kind = component.get("type") if isinstance(component, dict) else None
        if kind not in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            raise bad_request(f"{where}: 'type' must be HEADER, BODY, FOOTER or BUTTONS")
        if kind in found:
            raise bad_request(f"{where}: a template has at most one {kind}")
        assert isinstance(component, dict)
        if kind == "BUTTONS":
            found[kind] = {"type": kind, "buttons": _check_buttons(component, where)}
        elif kind == "HEADER" and component.get("format", "TEXT") != "TEXT":
            fmt = component.get("format")
            if fmt not in HEADER_FORMATS:
                raise bad_request(f"{where}: 'format' must be one of {', '.join(HEADER_FORMATS)}")
            found[kind] = {"type": kind, "format": fmt}
        else:
            text = _text(component, where, LIMITS[kind])
            _placeholders(where, text, MAX_PLACEHOLDERS[kind])
            found[kind] = {"type": kind, **({"format": "TEXT"} if kind == "HEADER" else {}), "text": text}
    if "BODY" not in found:
        raise bad_request("'components' must have a BODY")
    return [found[kind] for kind in ("HEADER", "BODY", "FOOTER", "BUTTONS") if kind in found]


def check_template(body: Any) -> dict[str, Any]:
    body = require_object(body)
    namespace, name, language = body.get("namespace"), body.get("name"), body.get("language")
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise bad_request("'namespace' must be 1-256 letters, digits, '_' or '-'")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad_request("'name' must be 1-512 lowercase letters, digits or '_'")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise bad_request("'language' must be a language code such as 'en' or 'en_US'")
    category = body.get("category", "UTILITY")
    if category not in CATEGORIES:
        raise bad_request(f"'category' must be one of {', '.join(CATEGORIES)}")
    status = body.get("status", "APPROVED")
    if status not in STATUSES:
        raise bad_request(f"'status' must be one of {', '.join(STATUSES)}")
    unknown = set(body) - {"namespace", "name", "language", "category", "components", "status"}
    if unknown:
        raise bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
    return {"namespace": namespace, "name": name, "language": language, "category": category,
            "components": check_components(body.get("components")), "status": status}


class TemplateStore:
    def __init__(self, changes: Changes | None = None) -> None:
        self._changes = changes or Changes()
        self.templates: dict[str, dict[str, Any]] = {}

    def put(self, body: Any) -> dict[str, Any]:
        """Create or replace (same namespace, name and language: same id)."""
        template = check_template(body)
        key = _key(template["namespace"], template["name"], template["language"])
        old = self.templates.get(key)
        template = {"id": old["id"] if old else item_id(), **template}
        self.templates[key] = template
        self._changes.mark(TEMPLATE, key)
        return template

    def all(self) -> list[dict[str, Any]]:
        return list(self.templates.values())

    def translations(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return [t for t in self.templates.values() if t["namespace"] == namespace and t["name"] == name]

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> list[dict[str, Any]]:
        return self.all()

    def load(self, data: list[dict[str, Any]]) -> None:
        self.templates = {_key(t["namespace"], t["name"], t["language"]): t for t in data}

    def dump_record(self, key: Key) -> Any:
        return self.templates.get(key[1])

    def apply_record(self, key: Key, value: Any) -> None:
        if value is None:
            self.templates.pop(key[1], None)
        else:
            self.templates[key[1]] = value
