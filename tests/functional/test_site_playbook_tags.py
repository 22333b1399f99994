"""The role in a site playbook beside other roles: `--tags procfile_remove` selects this
collection's removal and nothing of another role's `remove` tasks; a bare `--tags remove`
would select both (why the prefixed tags exist)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OPERATIONS = ["deploy", "pause", "resume", "restart", "status", "logs", "remove", "run"]

SITE = """
- name: Site
  hosts: all
  gather_facts: false
  roles:
    - role: database
    - role: procfile.systemd.procfile
      vars:
        procfile_app: shop
        procfile_root: /srv/shop
"""
DATABASE = """
- name: Drop the database
  ansible.builtin.debug:
    msg: the database role's removal
  tags: [remove, never]

- name: Pause the database
  ansible.builtin.debug:
    msg: the database role's pause
  tags: [pause, never]
"""


@pytest.fixture(name="site", scope="module")
def fixture_site(tmp_path_factory):
    top = tmp_path_factory.mktemp("site")
    (top / "roles" / "database" / "tasks").mkdir(parents=True)
    (top / "roles" / "database" / "tasks" / "main.yml").write_text(DATABASE)
    (top / "site.yml").write_text(SITE)
    return top


def listed(site, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
    res = subprocess.run([str(BIN / "ansible-playbook"), "site.yml", "-i", "localhost,",
                          "--list-tasks", *args], capture_output=True, text=True, env=env,
                         cwd=str(site), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return [line.strip().split("\t")[0].strip() for line in res.stdout.splitlines()
            if line.startswith("      ")]


def test_the_prefixed_tag_selects_this_collections_removal_only(site):
    tasks = listed(site, "--tags", "procfile_remove")
    assert "database : Drop the database" not in tasks
    assert "procfile.systemd.procfile : Remove the app's instances, units, environment file and state" in tasks
    assert all(t.startswith("procfile.systemd.procfile : ") for t in tasks), tasks


def test_the_bare_tag_selects_every_roles_removal(site):
    tasks = listed(site, "--tags", "remove")
    assert "database : Drop the database" in tasks
    assert "procfile.systemd.procfile : Remove the app's instances, units, environment file and state" in tasks


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_selects_the_same_tasks_bare_or_prefixed_in_the_role_alone(site, operation):
    prefixed = listed(site, "--tags", "procfile_" + operation)
    assert prefixed, operation
    bare = [t for t in listed(site, "--tags", operation) if not t.startswith("database : ")]
    assert prefixed == bare
