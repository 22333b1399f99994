"""Make the shared helpers importable; give tests the fleet's hosts by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources"))

from procfile_testlib import fleet  # noqa: E402,F401  pylint: disable=unused-import
