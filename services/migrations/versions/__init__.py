"""Every migration, in order. A new one is a module ``vNNNN_<what>.py`` with an
idempotent ``apply(db)``, added at the end of ``MIGRATIONS``; a released one is never
edited."""

from services.migrations.plan import Migration, check_sequence
from services.migrations.versions import v0001_shared_counters

MIGRATIONS = (
    Migration(1, "server shards and shared counters", v0001_shared_counters.apply),
)
check_sequence(MIGRATIONS)
