"""The controller's archive of a source directory: deterministic, excludes applied, and
the special files it cannot carry refused by name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tarfile

import pytest

from ansible_collections.procfile.systemd.plugins.plugin_utils import release_archive as ra


def tree(top):
    (top / "app" / "lib").mkdir(parents=True)
    (top / "app" / "Procfile").write_text("web: python3 app.py\n")
    (top / "app" / "lib" / "a.py").write_text("a = 1\n")
    (top / "app" / "bin").mkdir()
    (top / "app" / "bin" / "run").write_text("#!/bin/sh\n")
    os.chmod(str(top / "app" / "bin" / "run"), 0o775)
    (top / "app" / ".git" / "objects").mkdir(parents=True)
    (top / "app" / ".git" / "HEAD").write_text("ref\n")
    (top / "app" / "log").mkdir()
    (top / "app" / "log" / "x.log").write_text("log\n")
    (top / "app" / "lib" / "a.pyc").write_text("junk\n")
    os.symlink("lib/a.py", str(top / "app" / "main.py"))
    return top / "app"


def names(path):
    with tarfile.open(path) as tar:
        return [(m.name, m.mode, m.uid, m.mtime, m.type) for m in tar.getmembers()]


def test_the_same_tree_gives_the_same_bytes_whatever_its_times(tmp_path):
    src = tree(tmp_path)
    first = ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    os.utime(str(src / "Procfile"), (5, 5))
    second = ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    assert first["sha256"] == second["sha256"] and first["path"] == second["path"]
    assert first["revision"] == first["sha256"][:12]
    assert first["files"] == 5
    members = names(first["path"])
    assert [m[0] for m in members] == ["Procfile", "bin", "bin/run", "lib", "lib/a.py", "lib/a.pyc",
                                       "log", "log/x.log", "main.py"]
    assert all(m[2] == 0 and m[3] == ra.MTIME for m in members)
    modes = dict((m[0], m[1]) for m in members)
    assert modes["bin/run"] == 0o755 and modes["Procfile"] == 0o644 and modes["bin"] == 0o755


def test_a_changed_file_changes_the_revision_and_procfile_revision_wins(tmp_path):
    src = tree(tmp_path)
    first = ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    (src / "lib" / "a.py").write_text("a = 2\n")
    second = ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    assert first["sha256"] != second["sha256"]
    assert ra.release_archive(str(src), [".git"], str(tmp_path / "cache"), revision="v7")["revision"] == "v7"


def test_excludes_match_names_at_any_depth_or_paths_from_the_top(tmp_path):
    src = tree(tmp_path)
    found = ra.release_archive(str(src), [".git", "*.pyc", "log/*.log"], str(tmp_path / "cache"))
    assert [m[0] for m in names(found["path"])] == ["Procfile", "bin", "bin/run", "lib", "lib/a.py",
                                                    "log", "main.py"]


def test_a_fifo_in_the_source_is_refused_by_name(tmp_path):
    src = tree(tmp_path)
    os.mkfifo(str(src / "pipe"))
    with pytest.raises(ra.ArchiveError, match="pipe is no file"):
        ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    assert [n for n in os.listdir(str(tmp_path / "cache")) if n.startswith(".build")] == []


def test_a_tar_gz_is_taken_as_it_is(tmp_path):
    src = tree(tmp_path)
    built = ra.release_archive(str(src), [".git"], str(tmp_path / "cache"))
    taken = ra.release_archive(built["path"])
    assert taken["path"] == built["path"] and taken["sha256"] == built["sha256"]
    assert taken["files"] == 5


def test_neither_a_directory_nor_an_archive_is_an_error(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ra.ArchiveError, match="neither a directory nor a .tar.gz"):
        ra.release_archive(str(tmp_path / "x.txt"))
    with pytest.raises(ra.ArchiveError):
        ra.release_archive(str(tmp_path / "nowhere"))


def test_the_procfile_of_a_release_for_a_check_run_is_the_one_the_host_would_read(tmp_path):
    from ansible_collections.procfile.systemd.plugins.plugin_utils.release_archive import release_procfile
    src = tmp_path / "app"
    src.mkdir()
    assert release_procfile(str(src)) == {"name": None, "text": None}
    (src / "Procfile").write_text("web: serve {{UNIQUE_INT}}\n")
    (src / "Procfile.staging").write_text("web: serve --staging\n")
    assert release_procfile(str(src)) == {"name": "Procfile", "text": "web: serve {{UNIQUE_INT}}\n"}
    assert release_procfile(str(src), "staging")["name"] == "Procfile.staging"
    assert release_procfile(str(src), "prod")["name"] == "Procfile"
    archive = tmp_path / "app.tar.gz"
    with tarfile.open(str(archive), "w:gz") as tar:
        tar.add(str(src / "Procfile"), arcname="./Procfile")
    assert release_procfile(str(archive))["text"] == "web: serve {{UNIQUE_INT}}\n"
