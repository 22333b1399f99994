"""Directories root makes for an app are never reached through a link the app planted.

These tests run as root (as the deploy does) and play the app's user with uid 65534:
each attack must leave the victim directory's owner and mode as they were.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import safepath
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    ensure_dir,
    inspect_dir,
    only_root_can_write,
)

APP_UID = APP_GID = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="plays root against an app user")


@pytest.fixture(autouse=True)
def only_inside_the_test_directory(tmp_path, monkeypatch):
    """These tests run as root: a bug in the walk (or a mutant of it) could chown / or /etc.
    Every fchown and fchmod is checked to act inside the test's own directory first."""
    top = os.path.realpath(str(tmp_path))

    def guarded(real):
        def call(fd, *args):
            where = os.readlink("/proc/self/fd/%d" % fd)
            if not (where == top or where.startswith(top + "/")):
                raise AssertionError("changed %s, outside the test's directory" % where)
            return real(fd, *args)
        return call

    monkeypatch.setattr(os, "fchown", guarded(os.fchown))
    monkeypatch.setattr(os, "fchmod", guarded(os.fchmod))


def owner_and_mode(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    """/…/srv/app owned by the app (an app-owned procfile_root), and a root-only victim
    directory standing in for /etc/cron.d or /root."""
    os.chmod(str(tmp_path), 0o755)
    srv = tmp_path / "srv"
    srv.mkdir(mode=0o755)
    app = srv / "app"
    app.mkdir()
    os.chown(str(app), APP_UID, APP_GID)
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o700)
    return app, victim


def test_creates_parents_root_owned_and_the_directory_with_its_owner(tree):
    app, _victim = tree
    path = str(app / "var" / "cache")
    assert inspect_dir(path, APP_UID, APP_GID, 0o750)
    assert ensure_dir(path, APP_UID, APP_GID, 0o750)
    assert owner_and_mode(path) == (APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(app / "var"))[:2] == (0, 0)
    assert not inspect_dir(path, APP_UID, APP_GID, 0o750)
    assert not ensure_dir(path, APP_UID, APP_GID, 0o750)


def test_a_writable_directory_swapped_for_a_link_is_refused(tree):
    app, victim = tree
    before = owner_and_mode(str(victim))
    (app / "var").mkdir()
    os.symlink(str(victim), str(app / "var" / "cache"))
    for call in (inspect_dir, ensure_dir):
        with pytest.raises(UnsafePath, match="cache is a symbolic link .* not a directory"):
            call(str(app / "var" / "cache"), APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(victim)) == before


def test_a_parent_swapped_for_a_link_by_the_app_is_not_followed(tree):
    app, victim = tree
    before = owner_and_mode(str(victim))
    link = app / "var"
    os.symlink(str(victim), str(link))
    os.lchown(str(link), APP_UID, APP_GID)
    with pytest.raises(UnsafePath, match=r"var is a symbolic link .* owned by 'nobody' \(uid 65534\); root does not"):
        ensure_dir(str(link / "cache"), APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(victim)) == before
    assert os.listdir(str(victim)) == []


def test_a_root_owned_link_in_a_directory_the_app_can_write_is_not_followed(tree):
    # The app cannot make a root-owned link, but it can rename one root made into place.
    app, victim = tree
    os.symlink(str(victim), str(app / "var"))
    with pytest.raises(UnsafePath, match=r"in a directory that its owner 'nobody' \(uid 65534\) can change"):
        ensure_dir(str(app / "var" / "cache"), APP_UID, APP_GID, 0o750)
    assert os.listdir(str(victim)) == []


def test_a_link_root_made_where_only_root_writes_is_followed(tmp_path):
    # Like /var/run -> /run: root's own links keep working.
    os.chmod(str(tmp_path), 0o755)
    (tmp_path / "real").mkdir(mode=0o755)
    os.symlink("real", str(tmp_path / "run"))
    ensure_dir(str(tmp_path / "run" / "app"), APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(tmp_path / "real" / "app")) == (APP_UID, APP_GID, 0o750)


def test_root_only_directories_refuse_parents_the_app_can_change(tree):
    app, _victim = tree
    with pytest.raises(UnsafePath, match=r"can be changed by its owner 'nobody'"):
        inspect_dir(str(app / "config"), 0, 0, 0o700, trusted_parents=True)
    assert not (app / "config").exists()


def test_a_file_in_the_way_relative_paths_and_dotdot_are_refused(tree):
    app, _victim = tree
    (app / "file").write_text("x")
    with pytest.raises(UnsafePath, match="exists and is not a directory"):
        ensure_dir(str(app / "file" / "x"), 0, 0, 0o700)
    with pytest.raises(UnsafePath, match="not an absolute path"):
        ensure_dir("relative/dir", 0, 0, 0o700)
    with pytest.raises(UnsafePath, match="'..' is not allowed"):
        ensure_dir(str(app / ".." / "x"), 0, 0, 0o700)


def test_a_swap_between_the_check_and_the_open_is_refused(tree, monkeypatch):
    """The app wins the race: right after root looked at var/cache (a directory), it is
    replaced by a link to the victim. O_NOFOLLOW makes the open fail; nothing is chowned."""
    app, victim = tree
    cache = app / "var" / "cache"
    cache.mkdir(parents=True)
    before = owner_and_mode(str(victim))
    real_stat = safepath._stat_entry
    swapped = []

    def stat_then_swap(walk, name):
        st = real_stat(walk, name)
        if name == "cache" and not swapped:
            os.rename(str(cache), str(app / "var" / "old"))
            os.symlink(str(victim), str(cache))
            swapped.append(name)
        return st

    monkeypatch.setattr(safepath, "_stat_entry", stat_then_swap)
    with pytest.raises(UnsafePath, match="was replaced .* while it was being checked"):
        ensure_dir(str(cache), APP_UID, APP_GID, 0o750)
    assert swapped and owner_and_mode(str(victim)) == before


def _stat_then(action, when):
    """A _stat_entry that runs ACTION right after looking at an entry, while WHEN(name, st)."""
    real_stat = safepath._stat_entry
    done = []

    def stat_then_act(walk, name):
        st = real_stat(walk, name)
        if when(name, st, done):
            action()
            done.append(name)
        return st
    return stat_then_act, done


def test_a_directory_removed_between_the_check_and_the_open_is_looked_at_again(
        tree, monkeypatch):
    """The app removes var/cache right after root looked at it (the race CI once met:
    a raw 'No such file or directory' ended the deploy). Root looks again: the
    directory is missing now, so it is made afresh, with the app as its owner."""
    app, victim = tree
    cache = app / "var" / "cache"
    cache.mkdir(parents=True)
    before = owner_and_mode(str(victim))
    hook, done = _stat_then(lambda: os.rmdir(str(cache)),
                            lambda name, st, done: name == "cache" and st and not done)
    monkeypatch.setattr(safepath, "_stat_entry", hook)
    assert ensure_dir(str(cache), APP_UID, APP_GID, 0o750)
    assert done and owner_and_mode(str(cache)) == (APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(victim)) == before


def test_a_link_removed_between_the_check_and_its_reading_is_looked_at_again(
        tree, monkeypatch):
    """var/cache is a link when root looks and gone when root reads it: looked at
    again, and the directory made in its place is the app's, the link's target untouched."""
    app, victim = tree
    (app / "var").mkdir()
    cache = app / "var" / "cache"
    os.symlink(str(victim), str(cache))
    before = owner_and_mode(str(victim))
    hook, done = _stat_then(lambda: os.unlink(str(cache)),
                            lambda name, st, done: name == "cache" and st and not done)
    monkeypatch.setattr(safepath, "_stat_entry", hook)
    assert ensure_dir(str(cache), APP_UID, APP_GID, 0o750)
    assert done and owner_and_mode(str(cache)) == (APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(victim)) == before


def test_a_directory_that_never_stays_put_is_refused_with_a_clear_message(tree, monkeypatch):
    """Removed and made again after every look: root gives up after a bounded number of
    looks, names the path and changes nothing through it."""
    app, victim = tree
    cache = app / "var" / "cache"
    cache.mkdir(parents=True)
    before = owner_and_mode(str(victim))

    def remove_and_remake():
        os.rmdir(str(cache))

    def when(name, st, done):
        if name == "cache" and st is None:
            cache.mkdir()  # made by someone else just before root's mkdir
            return False
        return name == "cache" and st is not None

    hook, done = _stat_then(remove_and_remake, when)
    monkeypatch.setattr(safepath, "_stat_entry", hook)
    with pytest.raises(UnsafePath, match="cache keeps changing while it is being checked"):
        ensure_dir(str(cache), APP_UID, APP_GID, 0o750)
    assert len(done) > 1 and owner_and_mode(str(victim)) == before


def test_a_swap_after_the_open_changes_the_directory_that_was_checked(tree, monkeypatch):
    """Swapped after root opened it: the chown goes through the descriptor, to the
    directory that was checked (now renamed), never to the link's target."""
    app, victim = tree
    cache = app / "var" / "cache"
    cache.mkdir(parents=True)
    before = owner_and_mode(str(victim))
    real_open_dir = safepath.open_dir

    def open_then_swap(*args, **kwargs):
        fd = real_open_dir(*args, **kwargs)
        os.rename(str(cache), str(app / "var" / "old"))
        os.symlink(str(victim), str(cache))
        return fd

    monkeypatch.setattr(safepath, "open_dir", open_then_swap)
    assert ensure_dir(str(cache), APP_UID, APP_GID, 0o750)
    assert owner_and_mode(str(victim)) == before
    assert owner_and_mode(str(app / "var" / "old")) == (APP_UID, APP_GID, 0o750)


@pytest.mark.parametrize("uid, mode, expected", [
    (0, 0o755, True), (0, 0o775, False), (0, 0o757, False), (0, 0o1777, True),
    (65534, 0o755, False),
])
def test_only_root_can_write(uid, mode, expected):
    st = os.stat_result((stat.S_IFDIR | mode, 0, 0, 2, uid, 0, 0, 0, 0, 0))
    assert only_root_can_write(st) is expected
