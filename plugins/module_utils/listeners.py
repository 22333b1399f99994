# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who listens on a TCP port of this host, as /proc and the cgroup tree tell it.

The health checks use it to trust an answer only from the instance that owns the port:
any process can listen on 127.0.0.1:PORT before the instance does, and then it, not
the instance, answers the check. Every function takes the text or the paths it reads,
so that the parsing can be tested on fixture text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import socket
import struct
import sys

LISTEN = "0A"  # TCP_LISTEN in the st column of /proc/net/tcp*

# The local addresses from which a listener gets the connections made to 127.0.0.1 (or
# localhost) on its port: the loopback and wildcard ones of both families, and IPv4's
# loopback as an IPv6 socket sees it.
LOCAL_ADDRESSES = frozenset(["127.0.0.1", "0.0.0.0", "::", "::1", "::ffff:127.0.0.1"])

TABLES = ("net/tcp", "net/tcp6")

# The last part of a cgroup path that names a unit: a service, or a scope (a login
# session's processes, systemd-run --scope).
UNIT_PART = re.compile(r"\.(service|scope)$")


def address(text, byteorder=sys.byteorder):
    """The address of /proc/net/tcp*'s hex TEXT (8 digits for IPv4, 32 for IPv6).

    The kernel prints each 32-bit word of the address as a number in the host's byte
    order, so the bytes of a word are reversed on a little-endian host."""
    order = "<" if byteorder == "little" else ">"
    raw = b"".join(struct.pack(order + "I", int(text[i:i + 8], 16)) for i in range(0, len(text), 8))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def listening(text, byteorder=sys.byteorder):
    """[(address, port, inode)] of the listening sockets in TEXT, a /proc/net/tcp or
    /proc/net/tcp6."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        host, _sep, port = fields[1].partition(":")
        try:
            found.append((address(host, byteorder), int(port, 16), int(fields[9])))
        except (ValueError, struct.error, OSError):
            continue  # not a line this parser knows: no listener of ours
    return found


def port_listeners(texts, ports, addresses=LOCAL_ADDRESSES, byteorder=sys.byteorder):
    """{port: set of socket inodes} of the listeners on PORTS (an iterable) in TEXTS
    (the tables' contents) whose address is one of ADDRESSES; a port nobody listens on
    is left out."""
    wanted = set(ports)
    found = {}
    for text in texts:
        for host, port, inode in listening(text, byteorder):
            if port in wanted and host in addresses:
                found.setdefault(port, set()).add(inode)
    return found


def read_tables(proc="/proc"):
    """The text of /proc/net/tcp and tcp6; a missing table (IPv6 off) is empty."""
    texts = []
    for name in TABLES:
        try:
            with open(os.path.join(proc, name)) as table:
                texts.append(table.read())
        except (IOError, OSError):
            texts.append("")
    return texts


def cgroup_dir(cgroup, root="/sys/fs/cgroup"):
    """The directory of the cgroup CGROUP (a unit's ControlGroup) under ROOT, or None.

    A hybrid host (cgroup v1 with the v2 tree beside it) has systemd's own tree at
    unified/, a v2 host at the root; systemd/ is v1's named hierarchy, the last resort.
    An empty path (a unit that runs nothing) and the root cgroup are no unit's."""
    part = (cgroup or "").strip("/")
    if not part:
        return None
    for base in (os.path.join(root, "unified"), root, os.path.join(root, "systemd")):
        path = os.path.join(base, part)
        if os.path.isfile(os.path.join(path, "cgroup.procs")):
            return path
    return None


def cgroup_pids(cgroup, root="/sys/fs/cgroup"):
    """The PIDs in the cgroup CGROUP and in the cgroups below it (a service may make
    some of its own); an empty set when it has none or does not exist."""
    top = cgroup_dir(cgroup, root)
    pids = set()
    if top is None:
        return pids
    for path, _dirs, files in os.walk(top):
        if "cgroup.procs" not in files:
            continue
        try:
            with open(os.path.join(path, "cgroup.procs")) as procs:
                pids.update(int(line) for line in procs.read().split())
        except (IOError, OSError, ValueError):
            continue  # removed while walked: its processes are gone
    return pids


def socket_inodes(pids, proc="/proc"):
    """The inodes of the sockets PIDS hold open (their /proc/PID/fd links read
    socket:[INODE]). A process that exits meanwhile holds none."""
    inodes = set()
    for pid in pids:
        fd_dir = os.path.join(proc, str(pid), "fd")
        try:
            names = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        for name in names:
            try:
                target = os.readlink(os.path.join(fd_dir, name))
            except (IOError, OSError):
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def holders(inode, proc="/proc"):
    """The PIDs that hold the socket INODE open: every process's fds are read, so only
    for a port found taken, never for every check."""
    link = "socket:[%d]" % inode
    found = []
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        fd_dir = os.path.join(proc, name, "fd")
        try:
            names = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        for fd in names:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == link:
                    found.append(int(name))
                    break
            except (IOError, OSError):
                continue
    return sorted(found)


def unit_of(cgroup_text):
    """The unit a process runs in, from the text of its /proc/PID/cgroup: the last part
    of its systemd cgroup path that is a service or a scope; None when there is none."""
    paths = {}
    for line in cgroup_text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            paths[parts[1]] = parts[2]
    # The v2 (or hybrid unified) tree first: it is the one systemd keeps on every host.
    for key in ("", "name=systemd"):
        for part in reversed((paths.get(key) or "").split("/")):
            if UNIT_PART.search(part):
                return part
    return None


def describe(pid, proc="/proc"):
    """'PID 123 (python3, unit squat-web@1.service)': what a person needs to find the
    process that holds a port."""
    comm, unit = "?", None
    try:
        with open(os.path.join(proc, str(pid), "comm")) as handle:
            comm = handle.read().strip() or "?"
        with open(os.path.join(proc, str(pid), "cgroup")) as handle:
            unit = unit_of(handle.read())
    except (IOError, OSError):
        pass  # gone meanwhile: its PID still says who it was
    return "PID %d (%s, %s)" % (pid, comm, ("unit " + unit) if unit else "in no unit")
