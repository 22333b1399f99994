# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Installing an app's files on a host in one module call: account, directories, unit
files and the environment file. Every unit is verified before the first write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import grp
import hashlib
import io
import os
import pwd
import shutil
import tempfile

from ansible_collections.procfile.systemd.plugins.module_utils import env_file


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def read_exact(path):
    """The file's text as it is (None when there is none). read_text strips: use this
    where the text is compared or kept byte for byte."""
    data = read_bytes(path)
    return data.decode("utf-8", "replace") if data is not None else None


def read_text(path):
    """PATH's text, stripped; "" when it cannot be read. Always UTF-8 (what write_atomic
    writes), whatever the host's locale: under LANG=C, open() would decode ASCII and a
    non-ASCII byte would be a traceback. Bytes that are not UTF-8 become U+FFFD, so a
    damaged file reads as different, never as missing."""
    try:
        with io.open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except (IOError, OSError, TypeError):
        return ""


def needs_write(path, content, mode, uid=0, gid=0):
    """Whether PATH differs from CONTENT, its mode or root ownership."""
    current = read_bytes(path)
    if current != content.encode("utf-8"):
        return True
    st = os.stat(path)
    return (st.st_mode & 0o7777) != mode or st.st_uid != uid or st.st_gid != gid


def _fill(fd, content, mode):
    """Write CONTENT into the new file open as FD and close it: root-owned with MODE, set
    through the descriptor (by name, a temporary file swapped meanwhile would hand another
    file to root's owner and mode), and on the disk before the caller renames it (after a
    crash, the rename is never there without the content)."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(content.encode("utf-8"))
        handle.flush()
        # Owner first: a chown clears the set-id bits that MODE may ask for.
        os.fchown(handle.fileno(), 0, 0)
        os.fchmod(handle.fileno(), mode)
        os.fsync(handle.fileno())


def write_atomic(path, content, mode):
    """Write CONTENT to PATH (root-owned, MODE) with a rename, never half a file."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".procfile-", dir=directory)
    try:
        _fill(fd, content, mode)
        os.rename(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def write_atomic_at(dir_fd, name, content, mode):
    """write_atomic for NAME in the directory open as DIR_FD (see safepath.open_dir): the
    temporary file is made, renamed and, on failure, removed relative to the descriptor,
    in the very directory that was checked, whatever happens to its path meanwhile."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(100):
        tmp = ".procfile-%s" % binascii.hexlify(os.urandom(6)).decode("ascii")
        try:
            fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
            break
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
    else:
        raise OSError(errno.EEXIST, "no free temporary name for %s" % name)
    try:
        _fill(fd, content, mode)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _discard(tmp, dir_fd)
        raise


def _discard(tmp, dir_fd=None):
    """Remove a temporary file after a failure, without hiding the failure."""
    try:
        if dir_fd is None:
            os.remove(tmp)
        else:
            os.remove(tmp, dir_fd=dir_fd)
    except OSError:
        pass


def verify_units(module, units):
    """{unit name: content} -> {unit name: systemd-analyze's complaint}.

    All units are checked in one systemd-analyze call. It exits 0 even for unknown
    settings or bad values and only prints warnings, so any line of output about a unit
    counts as a failure of that unit.
    """
    if not units:
        return {}
    analyze = module.get_bin_path("systemd-analyze", required=True)
    directory = tempfile.mkdtemp(prefix="procfile-verify-")
    try:
        paths = []
        for name, content in sorted(units.items()):
            path = os.path.join(directory, name)
            with open(path, "w") as handle:
                handle.write(content)
            paths.append(path)
        _rc, out, err = module.run_command([analyze, "verify", "--man=no"] + paths,
                                           environ_update={"LC_ALL": "C"})
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    problems = {}
    for line in (out + err).splitlines():
        for name in units:
            if name in line:
                problems.setdefault(name, []).append(line.replace(directory + "/", ""))
    return dict((name, "\n".join(lines)) for name, lines in problems.items())


def owner_ids(user, group):
    """(uid, gid) of an account that exists (after create_account)."""
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def env_names_diff(before, after):
    """The environment file's diff without its values: names, and which values changed.

    Both texts are read as systemd reads the file (env_file.variables): a quoted value
    that spans lines, or holds "=", is one variable, never lines of its own."""
    old, old_others = env_file.variables(before)
    new, new_others = env_file.variables(after)

    def others(count):
        return ("# %d more assignment(s) without a valid variable name (not shown)\n" % count
                if count else "")
    return ("".join("%s=(secret)\n" % k for k in sorted(old)) + others(old_others),
            "".join("%s=(secret%s)\n" % (k, "" if old.get(k) == v else ", new value")
                    for k, v in sorted(new.items())) + others(new_others))
