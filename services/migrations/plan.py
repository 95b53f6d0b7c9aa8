"""Which migrations a database still needs. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pymongo.database import Database


@dataclass(frozen=True)
class Migration:
    """One step of the database's layout. ``apply`` must be idempotent: a process that
    dies half-way leaves the step to be run again, whole, by the next one."""

    version: int
    name: str
    apply: Callable[[Database], None]


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Versions are 1, 2, 3 … in order: a gap or a repeat is a mistake in the list."""
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..{len(versions)} in order, got {versions}")


def head(migrations: Sequence[Migration]) -> int:
    return migrations[-1].version if migrations else 0


def pending(migrations: Sequence[Migration], current: int) -> list[Migration]:
    """The migrations after ``current``, in order. A database newer than this code (a
    marker past the head) needs nothing from it."""
    return [migration for migration in migrations if migration.version > current]
