"""The tests import the tree they sit in: a copy of the checkout tests the copy.

A copy carries a .cache/ link to the original tree, and a shell may point
ANSIBLE_COLLECTIONS_PATH at the original. tests/conftest.py must override both, or a bug
put into the copy (by hand or by a mutation-testing tool) would pass every test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STALE_LINK = Path(".cache", "collections", "ansible_collections", "procfile", "systemd")
PARSER = Path("plugins", "module_utils", "procfile_parse.py")


def test_this_run_imports_and_runs_this_tree():
    from ansible_collections.procfile.systemd.plugins.module_utils import procfile_parse
    assert Path(procfile_parse.__file__).resolve() == ROOT / PARSER
    # What `ansible` (tests/functional) loads the modules from.
    first = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]
    assert (Path(first) / STALE_LINK.relative_to(".cache/collections")).resolve() == ROOT


@pytest.fixture(name="copy")
def fixture_copy(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", "mutants", "__pycache__", ".pytest_cache", ".hypothesis"))
    # What `cp -a` of a checkout brings along: the link to the original tree.
    (copy / STALE_LINK).parent.mkdir(parents=True)
    (copy / STALE_LINK).symlink_to(ROOT, target_is_directory=True)
    return copy


def test_a_bug_put_into_a_copy_fails_the_copys_tests(copy):
    parser = copy / PARSER
    source = parser.read_text()
    right = 'return name.replace("-", "_") + "_count"'
    assert right in source
    parser.write_text(source.replace(right, 'return name + "_count"'))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/plugins/module_utils/test_procfile.py::test_count_variable"],
        cwd=copy, env=env, capture_output=True, text=True, check=False)
    # 1: tests ran and failed (not 2-4: an error before any test ran).
    assert res.returncode == 1 and "1 failed" in res.stdout, res.stdout + res.stderr
    assert (copy / STALE_LINK).resolve() == copy
