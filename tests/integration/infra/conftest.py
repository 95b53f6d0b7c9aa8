"""Make the repository root importable: the project has no pytest config of its own yet.

This directory deliberately has no __init__.py: as a package named `infra` it would
shadow the top-level `infra` package under pytest's default import mode.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
