# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a file as another user, from a module that runs as root.

The Procfile lives in the app's code, which the app's user may be able to change. Read
as root, a Procfile the app replaced by a link (or a hard link, or a swapped parent
directory) would let it make root read /etc/shadow or a private key into unit files and
error messages. Read by a child process that has become the app's user first, it can
only ever see what that user could read anyway.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import json
import os
import pwd
import stat

READ_FLAGS = os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class ReadError(Exception):
    """The file could not be read: REASON is 'not-regular' or an errno name."""

    def __init__(self, reason, detail):
        super(ReadError, self).__init__(detail)
        self.reason = reason
        self.detail = detail


def account(user):
    """(uid, gid, supplementary gids) of USER, or None when there is no such user."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
    return entry.pw_uid, entry.pw_gid, sorted(set(groups + [entry.pw_gid]))


def _read_fd(fd, limit):
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise ReadError("not-regular", "not a regular file")
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_regular_file(path, limit):
    """Up to LIMIT + 1 bytes of PATH, which must be a regular file (a FIFO or a device is
    refused without blocking on it)."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError as exc:
        raise ReadError(_errno_name(exc), exc.strerror)
    try:
        return _read_fd(fd, limit)
    finally:
        os.close(fd)


def _errno_name(exc):
    return errno.errorcode.get(exc.errno, "E%d" % exc.errno)


def read_as(path, ids, limit):
    """read_regular_file(PATH, LIMIT) in a child process that runs as IDS (uid, gid,
    groups) and nothing more. Raises ReadError."""
    uid, gid, groups = ids
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(rfd)
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            try:
                payload = b"OK" + read_regular_file(path, limit)
            except ReadError as exc:
                payload = b"ER" + json.dumps([exc.reason, exc.detail]).encode("utf-8")
            view = memoryview(payload)
            while view:
                view = view[os.write(wfd, view):]
        except BaseException:  # pylint: disable=broad-except
            status = 1
        finally:
            os._exit(status)  # pylint: disable=protected-access
    os.close(wfd)
    chunks = []
    with os.fdopen(rfd, "rb") as pipe:
        while True:
            chunk = pipe.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    payload = b"".join(chunks)
    if status != 0 or payload[:2] not in (b"OK", b"ER"):
        raise ReadError("EIO", "the reader running as uid %d failed" % uid)
    if payload[:2] == b"ER":
        reason, detail = json.loads(payload[2:].decode("utf-8"))
        raise ReadError(reason, detail)
    return payload[2:]
