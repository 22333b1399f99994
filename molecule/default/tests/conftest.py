"""Make the shared helpers (molecule/resources/procfile_testlib.py) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources"))

# shop_pids is a fixture: importing it here is what makes pytest find it.
from procfile_testlib import shop_pids  # noqa: E402,F401  pylint: disable=unused-import
