"""Paths a user gives on the command line resolve against the directory ansible-playbook
runs in, not against the playbook's: `-e procfile_source=./src` packs ./src."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(name="top")
def fixture_top():
    top = tempfile.mkdtemp(prefix="procfile-paths-", dir="/tmp")
    os.chmod(top, 0o755)
    yield Path(top)
    shutil.rmtree(top)


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Pack the source as the role does
      ansible.builtin.debug:
        msg: "{{ found.source }}|{{ found.path }}|"
      vars:
        found: "{{ lookup('procfile.systemd.release_archive', procfile_source, cache_dir=cache) }}"
"""


def play(cwd, top, *args):
    # The debug line is read as JSON, whatever result format ansible.cfg sets (make: yaml).
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    playbook = top / "play.yml"
    playbook.write_text(PLAY)
    return subprocess.run([str(BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local",
                           "-e", "cache=%s" % (top / "cache"), *args],
                          capture_output=True, text=True, env=env, cwd=str(cwd), check=False)


@pytest.mark.parametrize("source", ["./src", "src", "sub/../src"])
def test_a_relative_procfile_source_is_relative_to_where_the_command_runs(top, source):
    cwd = top / "work"
    (cwd / "src" / "lib").mkdir(parents=True)
    (cwd / "src" / "Procfile").write_text("web: python3 -m http.server $PORT\n")
    (cwd / "src" / "lib" / "app.py").write_text("print('hello')\n")
    (cwd / "sub").mkdir()
    res = play(cwd, top, "-e", "procfile_source=%s" % source)
    assert res.returncode == 0, res.stdout + res.stderr
    source_found, path = re.search(r'"msg": "([^|"]*)\|([^|"]*)\|"', res.stdout).groups()
    assert source_found == str(cwd / "src")
    with tarfile.open(path) as tar:
        assert sorted(tar.getnames()) == ["Procfile", "lib", "lib/app.py"]


def test_a_missing_relative_procfile_source_names_the_full_path_it_looked_for(top):
    cwd = top / "work"
    cwd.mkdir()
    res = play(cwd, top, "-e", "procfile_source=./nowhere")
    assert res.returncode != 0
    assert str(cwd / "nowhere") in res.stdout, res.stdout
