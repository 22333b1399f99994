# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories that root creates and chowns, reached without following a link that
anyone but root could have planted.

A deploy runs as root, but some of the directories it makes (procfile_writable_dirs)
belong to the app's user, and so may their parents (an app-owned procfile_root). A
compromised app could swap such a directory for a link to /etc/cron.d or /root between
two deploys, or while one runs: a root step that follows the link hands that directory
to the app. Here every path is walked one component at a time with directory file
descriptors, each component opened with O_NOFOLLOW relative to its parent, and the
owner and mode are set through the descriptor (fchown, fchmod): what is changed is the
directory that was checked, whatever happens to the name meanwhile.

A link on the way is followed only when root made it where only root could (a root-
owned link in a directory only root can write, such as /var/run -> /run); the last
component of a path is never a link.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import pwd
import stat

MAX_LINKS = 40
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


class UnsafePath(Exception):
    """A path that root will not act on, and why."""


def only_root_can_write(st):
    """Whether only root can add, remove or rename entries of the directory with stat ST.

    Root-owned and not writable by group or others; or with the sticky bit (/tmp), where
    nobody else can remove or rename an entry root owns.
    """
    return st.st_uid == 0 and (not st.st_mode & 0o022 or bool(st.st_mode & stat.S_ISVTX))


def who_can_write(st):
    """Who besides root can change the entries of a directory, in words."""
    if st.st_uid != 0:
        return "its owner %s" % _user_name(st.st_uid)
    return "group or other users (mode %04o)" % (st.st_mode & 0o7777)


def _user_name(uid):
    try:
        return "%r (uid %d)" % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return "uid %d" % uid


def _join(parent, name):
    return "/" + name if parent == "/" else parent + "/" + name


class _Walk(object):
    """Descriptors of the directories from / down to where the walk is (for '..')."""

    def __init__(self):
        self.fds = [os.open("/", DIR_FLAGS)]
        self.names = ["/"]

    @property
    def fd(self):
        return self.fds[-1]

    @property
    def path(self):
        return self.names[-1]

    def enter(self, fd, name):
        self.fds.append(fd)
        self.names.append(_join(self.path, name))

    def up(self):
        if len(self.fds) > 1:
            os.close(self.fds.pop())
            self.names.pop()

    def to_root(self):
        while len(self.fds) > 1:
            self.up()

    def take(self):
        """The descriptor of where the walk is; the others are closed."""
        fd = self.fds.pop()
        for other in self.fds:
            os.close(other)
        self.fds = []
        return fd

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def _stat_entry(walk, name):
    try:
        return os.stat(name, dir_fd=walk.fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def _open_entry(walk, name, what):
    """Open directory NAME in the walk's directory, never through a link. None when it
    is gone (removed since it was looked at): the caller looks again."""
    try:
        return os.open(name, DIR_FLAGS | os.O_NOFOLLOW, dir_fd=walk.fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            # It was a directory a moment ago: someone swapped it while root looked.
            raise UnsafePath("%s: %s was replaced (by a link or a file) while it was being "
                             "checked; nothing was changed through it"
                             % (what, _join(walk.path, name)))
        raise


def _readlink(walk, name):
    """The target of link NAME, or None when it is no longer a link (removed or replaced
    since it was looked at): the caller looks again."""
    try:
        return os.readlink(name, dir_fd=walk.fd)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EINVAL):
            return None
        raise


def _mkdir(walk, name, mode):
    try:
        os.mkdir(name, mode, dir_fd=walk.fd)
        return True
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return False  # made by someone else meanwhile: look at it again
        raise


def _look_again(pending, name, retries, what, walk):
    """NAME changed between two looks (someone else is making, removing or swapping it):
    put it back to be looked at afresh, a few times at most. Nothing was done through it."""
    retries += 1
    if retries > MAX_LINKS:
        raise UnsafePath("%s: %s keeps changing while it is being checked; nothing was changed "
                         "through it" % (what, _join(walk.path, name)))
    pending.append(name)
    return retries


def open_dir(path, create=False, what=None, trusted_parents=False, leaf_mode=0o755,
             leaf_link_ok=False):
    """Open directory PATH (absolute) for root and return its descriptor, or None when it
    (or a parent) does not exist and CREATE is false.

    With CREATE, a missing directory is made root-owned (mode 0755 for a parent,
    LEAF_MODE for PATH itself). A link on the way is followed only when it is root's and
    sits where only root can write; PATH itself must not be a link. With
    TRUSTED_PARENTS, every directory above PATH must be one only root can change (for
    root-only files: nobody else may swap the directory they are written into). With
    LEAF_LINK_OK, PATH itself may be a link that root made where only root can write.
    WHAT names the path in messages (e.g. "procfile_writable_dirs entry /srv/x").
    Raises UnsafePath, naming PATH and the component at fault.
    """
    what = what or path
    if not os.path.isabs(path):
        raise UnsafePath("%s: not an absolute path" % what)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePath("%s: '..' is not allowed in the path" % what)
    walk = _Walk()
    try:
        if not parts:
            return walk.take()
        # Components still to walk, last first; links on the way add theirs.
        pending = list(reversed(parts))
        links = 0
        retries = 0
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                walk.up()
                continue
            leaf = not pending
            parent = os.fstat(walk.fd)
            if trusted_parents and not only_root_can_write(parent):
                raise UnsafePath("%s: %s can be changed by %s; files only root may write "
                                 "must be in directories only root can change"
                                 % (what, walk.path, who_can_write(parent)))
            st = _stat_entry(walk, name)
            if st is None:
                if not create:
                    return None
                if not _mkdir(walk, name, leaf_mode if leaf else 0o755):
                    # Made by someone else meanwhile: look at it again.
                    retries = _look_again(pending, name, retries, what, walk)
                    continue
                st = _stat_entry(walk, name)
                if st is None or not stat.S_ISDIR(st.st_mode):
                    raise UnsafePath("%s: %s was replaced right after it was made"
                                     % (what, _join(walk.path, name)))
            if stat.S_ISLNK(st.st_mode):
                entry = _join(walk.path, name)
                target = _readlink(walk, name)
                if target is None:
                    retries = _look_again(pending, name, retries, what, walk)
                    continue
                if leaf and not leaf_link_ok:
                    raise UnsafePath("%s is a symbolic link (to %s), not a directory: refusing "
                                     "to create, chown or chmod anything through it as root"
                                     % (what, target))
                if st.st_uid != 0:
                    raise UnsafePath("%s: %s is a symbolic link (to %s) owned by %s; root does "
                                     "not follow it" % (what, entry, target, _user_name(st.st_uid)))
                if not only_root_can_write(parent):
                    raise UnsafePath("%s: %s is a symbolic link (to %s) in a directory that %s "
                                     "can change; root does not follow it"
                                     % (what, entry, target, who_can_write(parent)))
                links += 1
                if links > MAX_LINKS:
                    raise UnsafePath("%s: too many levels of symbolic links" % what)
                if target.startswith("/"):
                    walk.to_root()
                pending.extend(reversed(target.split("/")))
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafePath("%s: %s exists and is not a directory"
                                 % (what, _join(walk.path, name)))
            fd = _open_entry(walk, name, what)
            if fd is None:
                retries = _look_again(pending, name, retries, what, walk)
                continue
            walk.enter(fd, name)
        return walk.take()
    finally:
        walk.close()


def inspect_dir(path, uid, gid, mode, what=None, trusted_parents=False):
    """Whether PATH would change to be a directory owned by UID:GID with MODE. Reads only;
    raises UnsafePath for a path that ensure_dir would refuse."""
    fd = open_dir(path, create=False, what=what, trusted_parents=trusted_parents,
                  leaf_link_ok=trusted_parents)
    if fd is None:
        return True
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return (st.st_mode & 0o7777) != mode or st.st_uid != uid or st.st_gid != gid


def ensure_dir(path, uid, gid, mode, what=None, trusted_parents=False):
    """Make PATH a directory owned by UID:GID with MODE, changing exactly the directory
    that was checked (through its descriptor). Returns whether anything changed."""
    fd = open_dir(path, create=True, what=what, trusted_parents=trusted_parents,
                  leaf_mode=mode & 0o777, leaf_link_ok=trusted_parents)
    try:
        st = os.fstat(fd)
        changed = False
        if st.st_uid != uid or st.st_gid != gid:
            os.fchown(fd, uid, gid)
            changed = True
        if (st.st_mode & 0o7777) != mode:
            os.fchmod(fd, mode)
            changed = True
        return changed
    finally:
        os.close(fd)
