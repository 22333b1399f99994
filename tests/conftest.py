"""Make the collection importable as ansible_collections.procfile.systemd under pytest.

The repository root *is* the collection; Python needs it at
``<dir>/ansible_collections/procfile/systemd``. A symlink in .cache/ gives it that name
without copying, so tests always run against the working tree.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "procfile" / "systemd"


def _link_collection() -> None:
    LINK.parent.mkdir(parents=True, exist_ok=True)
    if not LINK.is_symlink():
        LINK.symlink_to(ROOT, target_is_directory=True)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))


# ansible-test runs unit tests from a real ansible_collections/ tree already.
if "ansible_collections" not in ROOT.parts:
    _link_collection()
