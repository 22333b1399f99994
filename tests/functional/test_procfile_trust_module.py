"""procfile_trust run through Ansible: a tree root writes into must be root's alone."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="plays root against an app user")


def trust(path):
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    res = subprocess.run([str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                          "-m", "procfile.systemd.procfile_trust", "-a",
                          json.dumps({"path": path, "what": "procfile_root"})],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    body = res.stdout.partition(" => ")[2]
    assert body, res.stdout + res.stderr
    return res.returncode, json.loads(body)


@pytest.fixture(name="top")
def fixture_top():
    top = tempfile.mkdtemp(prefix="procfile-trust-", dir="/tmp")
    os.chmod(top, 0o755)
    os.makedirs(os.path.join(top, "app", "config"))
    yield top
    shutil.rmtree(top)


def test_a_tree_only_root_can_change_passes_and_a_missing_one_too(top):
    rc, result = trust(os.path.join(top, "app"))
    assert rc == 0 and result["exists"] and result["directories"] == 2
    rc, result = trust(os.path.join(top, "app", "new"))
    assert rc == 0 and not result["exists"]


def test_a_directory_the_app_owns_inside_the_tree_is_refused(top):
    os.chown(os.path.join(top, "app", "config"), 65534, 65534)
    rc, result = trust(os.path.join(top, "app"))
    assert rc != 0
    assert "config can be changed by its owner 'nobody'" in result["msg"]
    assert "keep directories the app writes (procfile_writable_dirs) outside it" in result["msg"]


def test_a_link_another_user_made_inside_the_tree_is_refused(top):
    link = os.path.join(top, "app", "config", "cron")
    os.symlink("/etc/cron.d", link)
    os.lchown(link, 65534, 65534)
    rc, result = trust(os.path.join(top, "app"))
    assert rc != 0 and "config/cron is a symbolic link made by uid 65534" in result["msg"]


def test_a_parent_the_app_can_change_is_refused(top):
    os.chmod(top, 0o777)
    rc, result = trust(os.path.join(top, "app"))
    assert rc != 0 and "can be changed by group or other users (mode 0777)" in result["msg"]


def test_roots_link_into_a_directory_the_app_can_change_is_refused(top):
    """A root-owned link is followed by a copy as root: where it leads counts. The app's
    data directory behind root's link `public` is as good as inside the tree."""
    data = os.path.join(top, "data")
    os.makedirs(os.path.join(data, "public"))
    os.chown(data, 65534, 65534)
    os.symlink(os.path.join(data, "public"), os.path.join(top, "app", "public"))
    rc, result = trust(os.path.join(top, "app"))
    assert rc != 0, result
    assert "app/public is a link to %s/public, in %s, which its owner 'nobody'" % (data, data) \
        in result["msg"]


def test_roots_link_to_a_tree_the_app_owns_part_of_is_refused(top):
    shared = os.path.join(top, "shared", "cache")
    os.makedirs(shared)
    os.chown(shared, 65534, 65534)
    os.symlink("../../shared", os.path.join(top, "app", "config", "shared"))
    rc, result = trust(os.path.join(top, "app"))
    assert rc != 0, result
    assert "shared/cache can be changed by its owner 'nobody'" in result["msg"]
    assert "through the link" in result["msg"]


def test_roots_link_to_roots_own_directory_passes_and_loops_end(top):
    os.makedirs(os.path.join(top, "assets", "css"))
    os.symlink(os.path.join(top, "assets"), os.path.join(top, "app", "assets"))
    os.symlink("..", os.path.join(top, "app", "config", "up"))
    os.symlink("/nonexistent/target", os.path.join(top, "app", "dangling"))
    rc, result = trust(os.path.join(top, "app"))
    assert rc == 0, result
    # app, app/config, and through the link: assets, assets/css.
    assert result["directories"] == 4


@pytest.mark.parametrize("suffix", ["\nExecStartPre=+/usr/bin/touch /root/pwned\n#", "/../etc", "/"])
def test_a_path_that_is_not_plain_is_refused_before_the_copy_makes_it(top, suffix):
    """deploy.yml copies into procfile_root right after this check, before the role's
    own checks: a line break there once left directories named after the injected text."""
    path = os.path.join(top, "app") + suffix
    rc, result = trust(path)
    assert rc != 0 and result["msg"].startswith("procfile_root %r" % path), result
    assert sorted(os.listdir(top)) == ["app"]
