"""Every index a domain declares is created by ``prepare``: a new ``ensure_indexes`` that
is not listed in services/migrations/indexes.py would never run."""

from __future__ import annotations

import importlib
import pkgutil

import services
from services.migrations import indexes


def declared_index_functions() -> set[str]:
    found = set()
    for module in pkgutil.walk_packages(services.__path__, "services."):
        if module.name.endswith("__main__") or module.name.endswith("gunicorn_conf"):
            continue
        loaded = importlib.import_module(module.name)
        ensure = getattr(loaded, "ensure_indexes", None)
        if callable(ensure) and getattr(ensure, "__module__", None) == module.name:
            found.add(module.name)
    return found


def test_every_domains_indexes_are_listed():
    listed = {ensure.__module__ for ensure in indexes.OWNERS}
    assert declared_index_functions() == listed
