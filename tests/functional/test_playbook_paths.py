"""Paths a user gives on the command line resolve against the directory ansible-playbook
runs in, not against the playbook's: `-e procfile_source=./src` copies ./src."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="copies as root, as a deploy does")


@pytest.fixture(name="top")
def fixture_top():
    top = tempfile.mkdtemp(prefix="procfile-paths-", dir="/tmp")
    os.chmod(top, 0o755)
    yield Path(top)
    shutil.rmtree(top)


def play(cwd, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    # The copy only: the role's deploy (tag deploy) needs a booted systemd.
    return subprocess.run([str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / "deploy.yml"),
                           "-i", "localhost,", "-c", "local", "--skip-tags", "deploy",
                           "-e", "procfile_app=pathtest", *args],
                          capture_output=True, text=True, env=env, cwd=str(cwd), check=False)


@pytest.mark.parametrize("source", ["./src", "src", "sub/../src"])
def test_a_relative_procfile_source_is_relative_to_where_the_command_runs(top, source):
    cwd = top / "work"
    (cwd / "src" / "lib").mkdir(parents=True)
    (cwd / "src" / "Procfile").write_text("web: python3 -m http.server $PORT\n")
    (cwd / "src" / "lib" / "app.py").write_text("print('hello')\n")
    (cwd / "sub").mkdir()
    app_root = top / "root"
    res = play(cwd, "-e", "procfile_root=%s" % app_root, "-e", "procfile_source=%s" % source)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (app_root / "Procfile").read_text() == "web: python3 -m http.server $PORT\n"
    assert (app_root / "lib" / "app.py").exists()


def test_a_missing_relative_procfile_source_names_the_full_path_it_looked_for(top):
    cwd = top / "work"
    cwd.mkdir()
    res = play(cwd, "-e", "procfile_root=%s" % (top / "root"), "-e", "procfile_source=./nowhere")
    assert res.returncode != 0
    assert str(cwd / "nowhere") in res.stdout, res.stdout
    assert not (top / "root").exists()
