"""The release extractor: every rule with a crafted archive, nothing left behind for a
refused one; modes normalised; the link switch, keep and rollback's choice of release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import stat
import tarfile

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import release as rel


def member(name, kind="file", data=b"x\n", mode=0o644, link=""):
    info = tarfile.TarInfo(name)
    info.mode = mode
    info.mtime = 1000
    if kind == "file":
        info.size = len(data)
        return info, data
    info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                 "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE}[kind]
    info.linkname = link
    return info, None


def archive(tmp_path, *members):
    path = tmp_path / "releases" / ".incoming-x.tar.gz"
    path.parent.mkdir(exist_ok=True)
    with tarfile.open(str(path), "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return str(path)


def unpack(tmp_path, *members):
    path = archive(tmp_path, *members)
    return rel.unpack(path, str(tmp_path / "releases"), "r1")


def left(tmp_path):
    return sorted(n for n in os.listdir(str(tmp_path / "releases")) if not n.startswith(".incoming"))


def test_a_good_archive_becomes_a_complete_release_with_normalised_modes(tmp_path):
    count = unpack(tmp_path,
                   member("Procfile", data=b"web: x\n", mode=0o664),
                   member("bin", "dir", mode=0o777),
                   member("bin/run", data=b"#!/bin/sh\n", mode=0o1777),
                   member("lib/deep/a.py"),
                   member("lib/link", "sym", link="deep/a.py"),
                   member("lib/hard", "hard", link="Procfile"))
    top = tmp_path / "releases" / "r1"
    assert count == 6
    assert rel.is_complete(str(tmp_path / "releases"), "r1")
    assert (top / "Procfile").read_text() == "web: x\n"
    assert stat.S_IMODE(os.stat(str(top / "Procfile")).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(str(top / "bin" / "run")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(top / "bin")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(top / "lib" / "deep")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(top)).st_mode) == 0o755
    assert os.readlink(str(top / "lib" / "link")) == "deep/a.py"
    assert (top / "lib" / "hard").read_text() == "web: x\n"
    assert left(tmp_path) == ["r1"]
    assert rel.read_record(str(tmp_path / "releases"), "r1")["revision"] == "r1"


@pytest.mark.parametrize("members,rule,name", [
    ([member("/etc/cron.d/x")], "absolute", "/etc/cron.d/x"),
    ([member("../x")], "dot-dot", "../x"),
    ([member("a/../../x")], "dot-dot", "a/../../x"),
    ([member("l", "sym", link="/etc")], "link-absolute", "l"),
    ([member("l", "sym", link="../../etc")], "link-outside", "l"),
    ([member("a", "dir"), member("a/l", "sym", link="../..")], "link-outside", "a/l"),
    ([member("l", "sym", link="lib"), member("l/x")], "through-link", "l/x"),
    ([member("h", "hard", link="/etc/shadow")], "hard-link", "h"),
    ([member("h", "hard", link="later"), member("later")], "hard-link", "h"),
    ([member("d", "dir"), member("h", "hard", link="d")], "hard-link", "h"),
    ([member("null", "chr")], "type", "null"),
    ([member("sda", "blk")], "type", "sda"),
    ([member("pipe", "fifo")], "type", "pipe"),
    ([member("su", mode=0o4755)], "set-id", "su"),
    ([member("sg", mode=0o2755)], "set-id", "sg"),
    ([member("x"), member("x")], "duplicate", "x"),
    ([member(".procfile-release")], "reserved", ".procfile-release"),
    ([member("f"), member("f/x")], "not-a-dir", "f/x"),
])
def test_a_hostile_archive_is_refused_naming_the_member_and_the_rule_and_nothing_is_left(
        tmp_path, members, rule, name):
    with pytest.raises(rel.Refused) as refused:
        unpack(tmp_path, member("Procfile"), *members)
    assert refused.value.rule == rule
    assert refused.value.member == name
    assert "[rule: %s]" % rule in str(refused.value)
    assert left(tmp_path) == []


def test_a_link_that_escapes_through_another_link_is_refused_after_unpacking(tmp_path):
    """a -> . makes a/a/a/../.. look like 'a' to the names alone, but it resolves to the
    release's parent's parent: checked for real, refused, nothing left."""
    with pytest.raises(rel.Refused) as refused:
        unpack(tmp_path, member("a", "sym", link="."), member("b", "sym", link="a/a/a/../.."))
    assert refused.value.rule == "link-outside" and refused.value.member == "b"
    assert left(tmp_path) == []


def test_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "releases" / ".incoming-x.tar.gz"
    path.parent.mkdir()
    path.write_bytes(b"not a tar")
    with pytest.raises(rel.Refused) as refused:
        rel.unpack(str(path), str(tmp_path / "releases"), "r1")
    assert refused.value.rule == "not-an-archive"
    assert left(tmp_path) == []


def test_a_second_unpack_of_the_same_revision_keeps_the_first(tmp_path):
    unpack(tmp_path, member("Procfile", data=b"one\n"))
    unpack(tmp_path, member("Procfile", data=b"two\n"))
    assert (tmp_path / "releases" / "r1" / "Procfile").read_text() == "one\n"
    assert left(tmp_path) == ["r1"]


@pytest.mark.parametrize("revision", ["", ".hidden", "a/b", "..", "a b", "x" * 129])
def test_a_revision_that_cannot_name_a_directory_is_an_error(revision):
    assert rel.revision_error(revision)


def test_current_switches_atomically_and_marks_the_release_used(tmp_path):
    root = tmp_path
    for r in ("a", "b"):
        (root / "releases" / r).mkdir(parents=True)
        (root / "releases" / r / rel.MARKER).write_text("{}\n")
    rel.switch_current(str(root), "a", now=100)
    assert rel.current_revision(str(root)) == "a"
    rel.switch_current(str(root), "b", now=200)
    assert os.readlink(str(root / "current")) == "releases/b"
    assert rel.complete_releases(str(root / "releases")) == {"a": 100, "b": 200}
    assert sorted(os.listdir(str(root))) == ["current", "releases"]


def test_keep_removes_the_least_recently_used_never_a_protected_one():
    releases = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    assert rel.prunable(releases, 2, set()) == ["a", "b", "c"]
    assert rel.prunable(releases, 2, {"a"}) == ["b", "c"]
    assert rel.prunable(releases, 5, set()) == []
    assert rel.prunable(releases, 0, set()) == ["a", "b", "c", "d"]


def test_rollback_goes_to_the_version_before_the_last_time_current_became_the_hosts():
    history = [(1, "a"), (2, "b"), (3, "c")]
    releases = {"a": 1, "b": 2, "c": 3}
    assert rel.previous_release(history, "c", releases) == "b"
    # A deploy of c whose release phase failed left current on b: back to a.
    assert rel.previous_release(history, "b", releases) == "a"
    # b was removed: the one before it.
    assert rel.previous_release(history, "c", {"a": 1, "c": 3}) == "a"
    # Rolled back to b, then again: back to c (the version before b's last time), as Heroku does.
    assert rel.previous_release(history + [(4, "b")], "b", releases) == "c"
    assert rel.previous_release([(1, "a")], "a", {"a": 1}) is None
    # Unknown to the history: the most recently used other release.
    assert rel.previous_release([], "c", releases) == "b"


def test_releases_in_use_reads_the_processes_working_directories(tmp_path):
    proc = tmp_path / "proc"
    releases = tmp_path / "releases"
    (releases / "a").mkdir(parents=True)
    for pid, cwd in (("1", releases / "a"), ("2", tmp_path), ("3", releases / "b" / "sub")):
        (proc / pid).mkdir(parents=True)
        os.symlink(str(cwd), str(proc / pid / "cwd"))
    assert rel.releases_in_use(str(releases), proc=str(proc)) == {"a", "b"}


def test_the_deployed_revision_is_trusted_only_where_only_root_made_it(tmp_path):
    from ansible_collections.procfile.systemd.plugins.module_utils import release as rel
    root = tmp_path / "app"
    (root / "releases" / "r1").mkdir(parents=True)
    os.chmod(str(root), 0o755)
    os.chmod(str(root / "releases"), 0o755)
    assert rel.deployed_revision(str(root)) is None  # no current
    os.symlink("releases/r1", str(root / "current"))
    assert rel.deployed_revision(str(root)) is None  # r1 is not complete
    (root / "releases" / "r1" / rel.MARKER).write_text("{}")
    assert rel.deployed_revision(str(root)) == "r1"
    if os.geteuid() == 0:
        os.lchown(str(root / "current"), 65534, 65534)
        assert rel.deployed_revision(str(root)) is None  # a link the app could have made
        os.lchown(str(root / "current"), 0, 0)
    os.chmod(str(root / "releases"), 0o777)
    assert rel.deployed_revision(str(root)) is None  # others can change the releases
