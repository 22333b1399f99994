"""Make the shared helpers (molecule/resources/procfile_testlib.py) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources"))
