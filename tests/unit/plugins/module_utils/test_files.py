"""Installing files in one call: what counts as a change, atomic writes, one verify."""

import os
import shutil
import tempfile

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.files import (
    needs_write,
    read_exact,
    verify_units,
    write_atomic,
    write_atomic_at,
)
from ansible_collections.procfile.systemd.plugins.module_utils.files import env_names_diff
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import HostModule


GOOD = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n"


def test_write_is_atomic_root_owned_with_the_mode(tmp_path):
    path = str(tmp_path / "shop-web@.service")
    assert needs_write(path, GOOD, 0o644)
    write_atomic(path, GOOD, 0o644)
    assert open(path).read() == GOOD
    st = os.stat(path)
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o644, 0, 0)
    assert not needs_write(path, GOOD, 0o644)
    assert needs_write(path, GOOD, 0o600)
    assert needs_write(path, GOOD + "\n", 0o644)
    assert os.listdir(str(tmp_path)) == ["shop-web@.service"]


@pytest.mark.parametrize("owner", [(0, 65534), (65534, 0), (65534, 65534)],
                         ids=["root-other-group", "other-user-root-group", "other-both"])
def test_a_file_not_owned_by_root_and_its_group_is_rewritten(tmp_path, owner):
    path = str(tmp_path / "shop-web@.service")
    write_atomic(path, GOOD, 0o644)
    os.chown(path, *owner)
    assert needs_write(path, GOOD, 0o644)
    # The owner asked for, exactly: then nothing to do.
    assert not needs_write(path, GOOD, 0o644, uid=owner[0], gid=owner[1])


def test_a_rewrite_is_a_rename_readers_keep_the_whole_old_file(tmp_path):
    # A reader that opened the file before the write (systemd reading a unit, say) must
    # keep reading the old content whole: only a rename of a new file over the old one
    # does that; a write in place would truncate the very file it is reading.
    path = tmp_path / "shop-web@.service"
    write_atomic(str(path), GOOD, 0o644)
    with open(path) as reader:
        before = os.fstat(reader.fileno()).st_ino
        write_atomic(str(path), GOOD * 1000, 0o644)
        assert reader.read() == GOOD
    assert os.stat(path).st_ino != before
    assert path.read_text() == GOOD * 1000
    assert os.listdir(str(tmp_path)) == ["shop-web@.service"]


def test_a_crash_before_the_rename_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "shop-web@.service"
    write_atomic(str(path), GOOD, 0o644)

    renamed = []

    def crash(source, target):
        renamed.append((os.path.dirname(source), target))
        raise OSError("crashed before the rename")

    # Whichever of the two the code renames with.
    monkeypatch.setattr(os, "rename", crash)
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="crashed before the rename"):
        write_atomic(str(path), "half" * 1000, 0o600)
    # The new file was made beside the old one: a rename is atomic only within one file
    # system, and /tmp often is another.
    assert renamed == [(str(tmp_path), str(path))]
    assert path.read_text() == GOOD
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert os.listdir(str(tmp_path)) == ["shop-web@.service"]


def test_owner_and_mode_are_set_through_the_descriptor_not_the_name(tmp_path, monkeypatch):
    # By name, a temporary file swapped for a link meanwhile would give its target
    # root's owner and the mode: chmod and chown by path must not be used at all.
    def by_name(*args, **kwargs):
        raise AssertionError("changed by name: %r" % (args,))
    monkeypatch.setattr(os, "chmod", by_name)
    monkeypatch.setattr(os, "chown", by_name)
    path = str(tmp_path / "environment")
    old = os.umask(0o077)
    try:
        write_atomic(path, "A=1\n", 0o640)
    finally:
        os.umask(old)
    # The mode asked for, whatever the umask.
    assert os.stat(path).st_mode & 0o7777 == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root gives a file to root")
def test_a_file_is_root_owned_even_in_a_directory_of_another_group(tmp_path):
    directory = tmp_path / "conf"
    directory.mkdir()
    os.chown(str(directory), 0, 65534)
    os.chmod(str(directory), 0o2755)  # set-group-ID: new files would get group 65534
    write_atomic(str(directory / "x.conf"), GOOD, 0o644)
    st = os.stat(str(directory / "x.conf"))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root gives a file to root")
def test_a_swapped_temporary_name_changes_no_other_file(tmp_path, monkeypatch):
    """The temporary file is renamed away and a link to another file put in its place
    between its creation and its chmod/chown: that file keeps its owner and mode."""
    victim = tmp_path / "victim"
    victim.write_text("not root's")
    os.chown(str(victim), 65534, 65534)
    os.chmod(str(victim), 0o600)
    real_mkstemp = tempfile.mkstemp

    def swapped(**kwargs):
        fd, tmp = real_mkstemp(**kwargs)
        os.rename(tmp, str(tmp_path / "moved-away"))
        os.symlink(str(victim), tmp)
        return fd, tmp
    monkeypatch.setattr(tempfile, "mkstemp", swapped)
    write_atomic(str(tmp_path / "shop-web@.service"), GOOD, 0o644)
    st = os.stat(str(victim))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (65534, 65534, 0o600)
    assert victim.read_text() == "not root's"
    # What root wrote (content, owner, mode) is the file it created and checked.
    moved = os.stat(str(tmp_path / "moved-away"))
    assert (moved.st_uid, moved.st_mode & 0o7777) == (0, 0o644)
    assert (tmp_path / "moved-away").read_text() == GOOD


def test_the_content_is_on_disk_before_the_rename(tmp_path, monkeypatch):
    # After a crash, a renamed but unflushed file can be empty: fsync comes first.
    events = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        events.append("fsync")
        real_fsync(fd)

    def rename(*args, **kwargs):
        events.append("rename")
        real_rename(*args, **kwargs)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    write_atomic(str(tmp_path / "a"), GOOD, 0o644)
    dir_fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        write_atomic_at(dir_fd, "b", GOOD, 0o644)
    finally:
        os.close(dir_fd)
    assert events == ["fsync", "rename", "fsync", "rename"]


@pytest.mark.parametrize("step", ["fchown", "fchmod", "fsync", "rename"])
@pytest.mark.parametrize("at", [False, True], ids=["by-path", "at-dir-fd"])
def test_a_failure_at_any_step_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, step, at):
    path = tmp_path / "upstream.conf"
    write_atomic(str(path), GOOD, 0o644)

    def fail(*args, **kwargs):
        raise OSError("%s failed" % step)
    monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match="%s failed" % step):
        if at:
            dir_fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
            try:
                write_atomic_at(dir_fd, "upstream.conf", "new" * 1000, 0o600)
            finally:
                os.close(dir_fd)
        else:
            write_atomic(str(path), "new" * 1000, 0o600)
    assert path.read_text() == GOOD and os.stat(str(path)).st_mode & 0o777 == 0o644
    assert os.listdir(str(tmp_path)) == ["upstream.conf"]


def test_write_at_a_directory_descriptor_lands_in_that_directory(tmp_path):
    """The directory is swapped under its name after it was opened (and checked): the
    file goes into the directory that was opened, root-owned with its mode, and nothing
    into the one that now has its name."""
    checked = tmp_path / "conf.d"
    checked.mkdir()
    dir_fd = os.open(str(checked), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.rename(str(checked), str(tmp_path / "conf.d.old"))
        (tmp_path / "conf.d").mkdir()
        write_atomic_at(dir_fd, "shop-web.conf", GOOD, 0o644)
    finally:
        os.close(dir_fd)
    assert os.listdir(str(tmp_path / "conf.d")) == []
    assert os.listdir(str(tmp_path / "conf.d.old")) == ["shop-web.conf"]
    st = os.stat(str(tmp_path / "conf.d.old" / "shop-web.conf"))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)
    assert (tmp_path / "conf.d.old" / "shop-web.conf").read_text() == GOOD


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_one_verify_attributes_each_complaint_to_its_unit():
    problems = verify_units(HostModule(), {
        "a.service": GOOD,
        "b.service": GOOD.replace("[Service]", "[Service]\nKillMode=bogus"),
        "c.service": GOOD.replace("[Service]", "[Service]\nFooBar=1"),
    })
    assert sorted(problems) == ["b.service", "c.service"]
    assert "kill mode" in problems["b.service"] and "FooBar" in problems["c.service"]
    assert verify_units(HostModule(), {}) == {}


def test_environment_diff_shows_names_never_values():
    before, after = env_names_diff("# managed\nA=secret1\nB=x\n", "A=secret2\nB=x\nC=new\n")
    assert before == "A=(secret)\nB=(secret)\n"
    assert after == "A=(secret, new value)\nB=(secret)\nC=(secret, new value)\n"
    assert "secret1" not in before + after and "secret2" not in before + after


def test_environment_diff_of_values_holding_equals_signs_comments_and_blank_lines():
    # As the role writes the file: KEY="value" lines (a value may hold '='), a comment
    # line that holds '=' too, and blank lines. Only names, never any part of a value.
    before = '# managed: one KEY="value" a line\nA="x=1"\n\nB="y"\n'
    after = 'A="x=2"\n\nB="y"\n'
    assert env_names_diff(before, after) == ("A=(secret)\nB=(secret)\n",
                                             "A=(secret, new value)\nB=(secret)\n")


PEM = "-----BEGIN KEY-----\nab=cd+ef/gh==\n-----END KEY-----"


def test_environment_diff_of_a_multi_line_secret_shows_its_name_only():
    # The role writes the PEM value quoted over three lines; its middle line holds "="
    # and, read line by line, passed for a variable named "ab".
    before = '# managed\nSECRET_TOKEN="old"\n'
    after = 'OTHER="x"\nSECRET_TOKEN="%s"\n' % PEM
    diff = env_names_diff(before, after)
    assert diff == ("SECRET_TOKEN=(secret)\n",
                    "OTHER=(secret, new value)\nSECRET_TOKEN=(secret, new value)\n")
    assert not [line for line in PEM.splitlines() if line in "".join(diff)]
    # The same value again: no new value.
    assert env_names_diff(after, after)[1] == "OTHER=(secret)\nSECRET_TOKEN=(secret)\n"


@pytest.mark.parametrize("old_file, names", [
    # Unquoted, single-quoted, comments with # and ;, blank lines, CRLF.
    ("A=plain value\nB='single'\n; c=1\n  # D=2\n\n\r\nE=\"x\"\r\n", ["A", "B", "E"]),
    # A quote that never closes: the rest of the file is its value.
    ('A="never closed\nPASSWORD=hunter2\nK=v\n', ["A"]),
    ("A='never closed\nPASSWORD=hunter2\n", ["A"]),
    # A line continuation outside quotes.
    ("A=abc\\\nLEAKED=1\n", ["A"]),
])
def test_environment_diff_of_a_hand_edited_file_names_what_systemd_sets(old_file, names):
    before, _after = env_names_diff(old_file, "")
    assert before == "".join("%s=(secret)\n" % n for n in names)
    for secret in ("plain value", "single", "never closed", "hunter2", "LEAKED", "abc"):
        assert secret not in before


def test_environment_diff_counts_assignments_without_a_variable_name():
    # systemd drops `export X=1` and the like; their text may be a secret's.
    before, _after = env_names_diff("export A=1\nab cd=ef\nB=2\n", "")
    assert before == ("B=(secret)\n"
                      "# 2 more assignment(s) without a valid variable name (not shown)\n")


def test_read_exact_keeps_the_text_and_replaces_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "stamp"
    path.write_bytes(b"\nrev caf\xc3\xa9 \xff\n")
    # Nothing stripped (the leading line break stays), a bad byte replaced, not fatal.
    assert read_exact(str(path)) == u"\nrev caf\u00e9 \ufffd\n"
    assert read_exact(str(tmp_path / "missing")) is None
