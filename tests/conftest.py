"""Make the collection importable as ansible_collections.procfile.systemd under pytest.

The repository root *is* the collection; Python needs it at
``<dir>/ansible_collections/procfile/systemd``. A symlink in .cache/ gives it that name
without copying.

The tests must test the tree this file sits in, and nothing else. A copy of the
checkout (a mutation-testing run, ``cp -a`` to try a change) carries a .cache/ link to
the *original* tree, and a shell may export ANSIBLE_COLLECTIONS_PATH for another
checkout: either would make every test pass against code that is not the code under
test. So the link is repointed when it leads elsewhere, the variable is always set, and
the first import is checked to come from here.
"""

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run from a real ansible_collections/ tree (ansible-test, `make mutation`), the tree
# itself is the place; from a checkout, a link in .cache/ makes one.
IN_COLLECTIONS_TREE = ROOT.parent.parent.name == "ansible_collections"
COLLECTIONS = ROOT.parent.parent.parent if IN_COLLECTIONS_TREE else ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "procfile" / "systemd"


def _link_collection() -> None:
    LINK.parent.mkdir(parents=True, exist_ok=True)
    if not (IN_COLLECTIONS_TREE or LINK.is_symlink() and LINK.resolve() == ROOT):
        # Made beside it and renamed over it, so that a pytest started at the same time
        # in this tree never finds the link missing.
        fresh = LINK.with_name(".systemd.%d" % os.getpid())
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(ROOT, target_is_directory=True)
        os.replace(fresh, LINK)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    # Not setdefault: modules run through `ansible` (tests/functional) must find this tree.
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)


def imported_from_elsewhere() -> list:
    """The collection's modules that Python would import from outside ROOT."""
    names = ("ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse",
             "ansible_collections.procfile.systemd.plugins.plugin_utils.controller",
             "ansible_collections.procfile.systemd.plugins.filter.procfile")
    return [(name, module.__file__) for name, module in
            ((n, importlib.import_module(n)) for n in names)
            if not Path(module.__file__).resolve().is_relative_to(ROOT)]


_link_collection()

# Checked once for the whole run, before any test: a failure here is a broken set-up,
# not a broken behaviour, and must not be mistaken for one.
_ELSEWHERE = imported_from_elsewhere()
assert not _ELSEWHERE, "tests would import code from outside %s: %r" % (ROOT, _ELSEWHERE)
