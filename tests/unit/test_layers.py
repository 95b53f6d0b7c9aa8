"""The layering of docs/design.md "Packages", read from the source so that it cannot drift.

Lowest first: ``common`` (infrastructure), ``protocol`` (the end-to-end protocol, pure),
``message_types`` (the declared message types), the domain packages (every other
package under services/, each the one home of a concept), ``migrations`` (knows every
domain), and the processes, which import anything below them and never one another.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
PROCESSES = {"api_gateway", "core_worker", "media_service", "webhook_dispatcher"}
# common reads the master key file into protocol's pure Keyring (master_key.py); protocol
# imports nothing of ours, so the edge makes no cycle.
BASE = {"common": {"protocol"}, "protocol": set(), "message_types": {"common", "protocol"}}
MIGRATIONS = "migrations"
SANDBOX_MAY_IMPORT = {"common", "protocol", "message_types"}


def packages() -> set[str]:
    return {path.parent.name for path in SERVICES.glob("*/__init__.py")}


def domains() -> set[str]:
    return packages() - PROCESSES - set(BASE) - {MIGRATIONS}


def allowed(package: str) -> set[str]:
    """The packages of services/ that ``package`` may import, besides itself."""
    if package in BASE:
        return BASE[package]
    below_domains = set(BASE)
    if package in PROCESSES:
        return below_domains | domains() | {MIGRATIONS}
    if package == MIGRATIONS:
        return below_domains | domains()
    return below_domains | domains()  # a domain: the cycle test below keeps domains acyclic


def imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, package under services/) of every import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = ([f"services.{alias.name}" for alias in node.names] if node.module == "services"
                     else [node.module])
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                yield node.lineno, parts[1]


def package_of(path: Path) -> str:
    return path.relative_to(SERVICES).parts[0]


def source_files(under: Path) -> list[Path]:
    return sorted(path for path in under.rglob("*.py") if ".venv" not in path.parts)


def test_the_layers_are_known():
    assert PROCESSES <= packages()
    assert {"callbacks", "media", "messages"} <= domains()


@pytest.mark.parametrize("path", source_files(SERVICES), ids=lambda path: str(path.relative_to(ROOT)))
def test_services_import_only_what_their_layer_allows(path: Path):
    if path.parent == SERVICES:
        return
    package = package_of(path)
    wrong = [f"line {line}: {package} imports {target}" for line, target in imported_packages(path)
             if target != package and target not in allowed(package)]
    assert not wrong, wrong


@pytest.mark.parametrize("path", source_files(ROOT / "sandbox"), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_sandbox_uses_only_the_shared_protocol_and_declarations(path: Path):
    wrong = [f"line {line}: sandbox imports {target}" for line, target in imported_packages(path)
             if target not in SANDBOX_MAY_IMPORT]
    assert not wrong, wrong


def test_domain_packages_do_not_import_each_other_in_a_cycle():
    graph = {domain: set() for domain in domains()}
    for domain in graph:
        for path in source_files(SERVICES / domain):
            graph[domain] |= {target for _, target in imported_packages(path) if target in graph and target != domain}
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return visiting[visiting.index(node):] + [node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node)
        if found:
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


COLLECTION_CALL = re.compile(
    r"\b(?:db|database)(?:\(\))?(?:\.[a-z_]+|\[[^\]]+\])\."
    r"(?:find\w*|insert\w*|update\w*|delete\w*|replace\w*|count_documents|estimated_document_count|aggregate"
    r"|distinct|bulk_write|create_index\w*|drop\w*)\("
)


@pytest.mark.parametrize("path", [path for name in sorted(PROCESSES) for path in source_files(SERVICES / name)],
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_processes_touch_no_collection_themselves(path: Path):
    """A collection is read and written by the domain package that owns it only."""
    found = [f"line {number}: {line.strip()}" for number, line in enumerate(path.read_text().splitlines(), 1)
             if COLLECTION_CALL.search(line)]
    assert not found, found


def test_the_collection_check_sees_the_usual_spellings():
    for line in ("db.messages.find_one({})", "self.db.pending_callbacks.update_one(", "state.db().account.find(",
                 'db["leases"].count_documents(', "database.tokens.create_index("):
        assert COLLECTION_CALL.search(line), line
    assert not COLLECTION_CALL.search("catalogue.find(db, media_id)")
