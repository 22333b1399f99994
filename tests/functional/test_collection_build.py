"""The collection builds, installs, and its docs and playbook are found once installed."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args, cwd=ROOT, env=None):
    res = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                         cwd=cwd, env=env, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout, res.stderr
    return res.stdout


def test_build_install_doc_and_playbook(tmp_path):
    run("ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), str(ROOT))
    [tarball] = tmp_path.glob("procfile-systemd-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/procfile_info.py" in names
    assert "roles/procfile/tasks/main.yml" in names
    assert "playbooks/deploy.yml" in names
    # The licence galaxy.yml declares (GPL-3.0-or-later) ships with it, in full.
    assert "COPYING" in names
    with tarfile.open(tarball) as tar:
        licence = tar.extractfile("COPYING").read().decode()
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence
    # Galaxy shows the changelog antsibull-changelog made from changelogs/fragments/.
    assert "changelogs/changelog.yaml" in names and "CHANGELOG.md" in names
    # build_ignore keeps tests, molecule, tools and local state out.
    for prefix in ("tests/", "molecule/", "tools/", ".venv/", ".cache/", "benchmarks/"):
        assert not [n for n in names if n.startswith(prefix)], prefix

    dest = tmp_path / "installed"
    # Only the installed copy: no repository ansible.cfg, no working-tree collection.
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest),
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"))
    run("ansible-galaxy", "collection", "install", "-p", str(dest), str(tarball), cwd=tmp_path,
        env=env)
    doc = run("ansible-doc", "procfile.systemd.procfile_info", cwd=tmp_path, env=env)
    assert "Reads and parses a Procfile" in doc
    assert "undefined_variables" in doc
    doc = run("ansible-doc", "procfile.systemd.procfile_instances", cwd=tmp_path, env=env)
    assert "UNIQUE_INT" in doc
    doc = run("ansible-doc", "-t", "role", "procfile.systemd.procfile", cwd=tmp_path, env=env)
    assert "procfile_app" in doc
    out = run("ansible-playbook", "procfile.systemd.deploy", "--syntax-check", "-i", "localhost,",
              cwd=tmp_path, env=env)
    assert "playbook: " in out
