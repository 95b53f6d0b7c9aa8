"""The database's shape: every domain's indexes, and the versioned migrations that bring
documents of an older layout up to date.

A process calls ``prepare_once(db)`` before it serves: it creates the indexes (idempotent)
and applies the migrations the database has not had yet, under a lock in MongoDB, so
that whichever process gets there first runs them once and the others wait for it.
This package sits above the domain packages (it knows them all) and below the processes.
"""

from services.migrations.runner import MigrationTimeout, current_version, migrate, prepare, prepare_once

__all__ = ["MigrationTimeout", "current_version", "migrate", "prepare", "prepare_once"]
