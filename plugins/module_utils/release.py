# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Releases of an app's code on a host: <root>/releases/<revision>/, unpacked as root from
one archive, and the link <root>/current that names the one the instances start in.

An archive is unpacked into a fresh root-only directory beside the releases (never into
the release itself), checked member by member before anything is written and once more
after (every link resolved for real), and renamed into place in one step: a release
either is complete, with its marker file, or does not exist. A refused archive leaves
nothing behind; the error names the member and the rule.

The rules, all refused except the last:
  absolute       a member name starting with /
  dot-dot        a member name with a '..' component
  reserved       a member named like the release marker
  duplicate      two members of the same name
  type           a device, FIFO or other member that is no file, directory or link
  set-id         a set-user-ID or set-group-ID bit: no app's code needs one, and root
                 unpacks it
  link-absolute  a symbolic link whose target is absolute
  link-outside   a symbolic link that resolves outside the release
  hard-link      a hard link to anything but an earlier regular file of the archive
  through-link   a member whose parent path is a symbolic link of the archive
  not-a-dir      a member whose parent is a file of the archive
Modes are normalised, never refused: directories 0755, files 0755 when the owner may
execute them, else 0644 (no group or other write, no sticky bit); everything is root's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import shutil
import stat
import tarfile
import time

MARKER = ".procfile-release"
RELEASES = "releases"
CURRENT = "current"
# A revision names a directory: no '/', no leading '.', no '..'.
REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\Z")
TMP_PREFIX = ".tmp-"
INCOMING_PREFIX = ".incoming-"
# Leftovers of a run that was killed while it unpacked or sent an archive.
LEFTOVER_AGE = 3600


class Refused(Exception):
    """An archive that is not unpacked, and why (the member and the rule)."""

    def __init__(self, member, rule, why):
        Exception.__init__(self, "archive member %r refused [rule: %s]: %s" % (member, rule, why))
        self.member = member
        self.rule = rule


def revision_error(revision):
    if not REVISION_RE.match(revision or ""):
        return ("revision %r cannot name a release directory: use letters, digits, '.', '_', "
                "'+' and '-', starting with a letter or digit, at most 128 characters" % revision)
    return None


def _normalised(name):
    """The member's path as components, or raise Refused for an absolute name or '..'."""
    if name.startswith("/"):
        raise Refused(name, "absolute", "an absolute path would be written outside the release")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Refused(name, "dot-dot", "a '..' component could reach outside the release")
    return parts


def check_members(members):
    """The members to unpack as [(relative path, member)], every rule checked that the
    names alone can tell (links are checked once more after unpacking, for real).
    Raises Refused for the first member that breaks one."""
    checked = []
    seen = set()
    regular = set()
    links = set(
        "/".join(_normalised(m.name)) for m in members if m.issym())
    files = set("/".join(_normalised(m.name)) for m in members if not m.isdir())
    for member in members:
        parts = _normalised(member.name)
        path = "/".join(parts)
        if not parts:
            if not member.isdir():
                raise Refused(member.name, "type", "the release's own directory must be a directory")
            continue  # "./": the release directory itself
        if parts[0] == MARKER and len(parts) == 1:
            raise Refused(member.name, "reserved", "%s is the release's marker, written by the deploy"
                          % MARKER)
        if path in seen:
            raise Refused(member.name, "duplicate", "the archive has two members of this name")
        seen.add(path)
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in links:
                raise Refused(member.name, "through-link", "its parent %s is a symbolic link" % parent)
            if parent in files:
                raise Refused(member.name, "not-a-dir", "its parent %s is not a directory" % parent)
        if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
            raise Refused(member.name, "type", "a device, FIFO or other special file has no place "
                          "in an app's code")
        if member.mode & (stat.S_ISUID | stat.S_ISGID) and not member.issym():
            raise Refused(member.name, "set-id", "mode %04o has a set-user-ID or set-group-ID bit"
                          % (member.mode & 0o7777))
        if member.issym():
            target = member.linkname
            if target.startswith("/"):
                raise Refused(member.name, "link-absolute", "it points to %s, outside the release"
                              % target)
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if resolved == ".." or resolved.startswith("../"):
                raise Refused(member.name, "link-outside", "it points to %s, outside the release"
                              % target)
        if member.islnk():
            try:
                target = "/".join(_normalised(member.linkname))
            except Refused:
                target = None
            if target not in regular:
                raise Refused(member.name, "hard-link", "it links to %s, which is no earlier "
                              "regular file of the archive" % member.linkname)
        if member.isreg():
            regular.add(path)
        checked.append((path, member))
    return checked


def file_mode(member_mode):
    return 0o755 if member_mode & stat.S_IXUSR else 0o644


def _unpack_into(tar, checked, top):
    """Write the checked members into TOP (a directory nobody but root can reach)."""
    dirs = []
    for path, member in checked:
        dest = os.path.join(top, path)
        parent = os.path.dirname(dest)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o755)
        if member.isdir():
            if not os.path.isdir(dest):
                os.mkdir(dest, 0o755)
            dirs.append((dest, member.mtime))
        elif member.issym():
            os.symlink(member.linkname, dest)
        elif member.islnk():
            os.link(os.path.join(top, "/".join(_normalised(member.linkname))), dest)
        else:
            source = tar.extractfile(member)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | getattr(os, "O_CLOEXEC", 0), 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
                os.fchmod(out.fileno(), file_mode(member.mode))
            os.utime(dest, (member.mtime, member.mtime))
    for dest, mtime in dirs:
        os.chmod(dest, 0o755)
    # Directories made for members without one of their own: 0755 too (os.makedirs
    # obeys the umask).
    for dirpath, dirnames, _files in os.walk(top):
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                os.chmod(full, 0o755)


def _check_links(checked, top):
    """Every link of the unpacked tree resolved for real (through the archive's own
    links): inside TOP, or Refused."""
    real_top = os.path.realpath(top)
    for path, member in checked:
        if member.issym():
            real = os.path.realpath(os.path.join(top, path))
            if real != real_top and not real.startswith(real_top + "/"):
                raise Refused(member.name, "link-outside", "it resolves to %s, outside the release "
                              "(through the archive's own links)" % member.linkname)


def unpack(archive, releases_dir, revision, record=None, now=None):
    """Unpack ARCHIVE into RELEASES_DIR/REVISION (which must not be complete yet) through a
    fresh root-only directory renamed into place. Returns the number of members.
    Raises Refused (nothing left behind) or OSError/tarfile.TarError."""
    final = os.path.join(releases_dir, revision)
    name = "%s%s-%d-%s" % (TMP_PREFIX, revision, os.getpid(), os.urandom(4).hex())
    top = os.path.join(releases_dir, name)
    os.mkdir(top, 0o700)
    try:
        try:
            tar = tarfile.open(archive, "r:*")
        except tarfile.TarError as exc:
            raise Refused(os.path.basename(archive), "not-an-archive", "not a tar archive: %s" % exc)
        with tar:
            checked = check_members(tar.getmembers())
            _unpack_into(tar, checked, top)
        _check_links(checked, top)
        info = dict(record or {}, revision=revision, created=now if now is not None else time.time(),
                    members=len(checked))
        fd = os.open(os.path.join(top, MARKER), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(info, sort_keys=True) + "\n")
        os.chmod(top, 0o755)
        if os.path.lexists(final) and not is_complete(releases_dir, revision):
            # An incomplete directory under that name (made by hand): replaced.
            remove_tree(final)
        try:
            os.rename(top, final)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # Another run unpacked the same revision meanwhile: that one stands.
        return len(checked)
    finally:
        if os.path.lexists(top):
            remove_tree(top)


def remove_tree(path):
    """Remove PATH and everything under it, following no link (root-only trees only)."""
    if os.path.islink(path) or not os.path.isdir(path):
        os.remove(path)
        return
    shutil.rmtree(path)


def is_complete(releases_dir, revision):
    path = os.path.join(releases_dir, revision)
    return (not os.path.islink(path) and os.path.isdir(path)
            and os.path.isfile(os.path.join(path, MARKER)))


def read_record(releases_dir, revision):
    try:
        with open(os.path.join(releases_dir, revision, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def complete_releases(releases_dir):
    """{revision: last time it became current (its marker's mtime)} of complete releases."""
    found = {}
    try:
        names = os.listdir(releases_dir)
    except OSError:
        return found
    for name in names:
        if name.startswith(".") or not is_complete(releases_dir, name):
            continue
        try:
            found[name] = os.stat(os.path.join(releases_dir, name, MARKER)).st_mtime
        except OSError:
            continue
    return found


def current_revision(root):
    """The revision <root>/current names (releases/<revision>), or None."""
    try:
        target = os.readlink(os.path.join(root, CURRENT))
    except OSError:
        return None
    parts = target.rstrip("/").split("/")
    if len(parts) == 2 and parts[0] == RELEASES and not revision_error(parts[1]):
        return parts[1]
    return None


def deployed_revision(root):
    """The revision ROOT's releases layout runs (`current` -> releases/<revision>, complete),
    or None. Trusted only where only root could have made it: ROOT and releases/ only
    root can change, `current` a link of root's. A deploy without procfile_source (scale,
    a re-run) then keeps the release instead of going back to code in ROOT itself."""
    try:
        for path in (root, os.path.join(root, RELEASES)):
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022:
                return None
        link = os.lstat(os.path.join(root, CURRENT))
    except OSError:
        return None
    if not stat.S_ISLNK(link.st_mode) or link.st_uid != 0:
        return None
    revision = current_revision(root)
    if revision is None or not is_complete(os.path.join(root, RELEASES), revision):
        return None
    return revision


def switch_current(root, revision, now=None):
    """Point <root>/current at releases/REVISION: a new link renamed over the old one, so
    that `current` always names a release. Marks the release as used now (keep)."""
    link = os.path.join(root, CURRENT)
    tmp = os.path.join(root, ".%s-%d-%s" % (CURRENT, os.getpid(), os.urandom(4).hex()))
    os.symlink("%s/%s" % (RELEASES, revision), tmp)
    try:
        os.rename(tmp, link)
    except OSError:
        os.remove(tmp)
        raise
    when = now if now is not None else time.time()
    os.utime(os.path.join(root, RELEASES, revision, MARKER), (when, when))


def releases_in_use(releases_dir, proc="/proc"):
    """Revisions some process works in: its cwd is in RELEASES_DIR/<revision>."""
    real = os.path.realpath(releases_dir) + "/"
    used = set()
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return used
    for pid in pids:
        try:
            cwd = os.readlink(os.path.join(proc, pid, "cwd"))
        except OSError:
            continue
        if cwd.startswith(real):
            used.add(cwd[len(real):].split("/", 1)[0])
    return used


def prunable(releases, keep, protected):
    """The revisions beyond the KEEP most recently used ones, oldest first; never one of
    PROTECTED (current, in use)."""
    order = sorted(releases, key=lambda r: (releases[r], r), reverse=True)
    kept = set(order[:max(int(keep), 1)]) | set(protected)
    return [r for r in reversed(order) if r not in kept]


def leftovers(releases_dir, now=None, age=LEFTOVER_AGE):
    """Temporary directories and incoming archives that a killed run left, older than AGE."""
    now = now if now is not None else time.time()
    found = []
    try:
        names = os.listdir(releases_dir)
    except OSError:
        return found
    for name in names:
        if name.startswith(TMP_PREFIX) or name.startswith(INCOMING_PREFIX):
            try:
                if os.lstat(os.path.join(releases_dir, name)).st_mtime < now - age:
                    found.append(name)
            except OSError:
                continue
    return sorted(found)


def previous_release(history, current, releases):
    """The revision a rollback goes to: walking the versions history back from the last
    time CURRENT became the host's, the first other revision that is still a complete
    release (in RELEASES); else the most recently used other release. None when there is
    none."""
    versions = [v for _when, v in history]
    if current in versions:
        index = len(versions) - 1 - versions[::-1].index(current)
        for version in reversed(versions[:index]):
            if version != current and version in releases:
                return version
        return None
    others = sorted((r for r in releases if r != current), key=lambda r: releases[r])
    return others[-1] if others else None
