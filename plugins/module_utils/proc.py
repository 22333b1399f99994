# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What /proc says about a process: its parent and when it started.

Used on the hosts (did an instance start before its unit changed?) and on the
controller (is the ansible-playbook run that holds a lock still the same process?).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

# How much later than start_time() says a process may have started: a clock tick, and
# /proc/uptime's hundredth of a second.
START_SLACK = 0.05


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (which may hold spaces and
    parentheses), or None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None


def parent_pid(pid):
    fields = _stat_fields(pid)
    try:
        return int(fields[1])
    except (TypeError, IndexError, ValueError):
        return 0


def start_ticks(pid):
    """The process's start time in clock ticks since boot, as /proc writes it, or None.
    Together with the PID it names one process, across PID reuse."""
    fields = _stat_fields(pid)
    try:
        return fields[19].decode()
    except (TypeError, IndexError):
        return None


def boot_time():
    """When the host booted, in seconds since the epoch."""
    with open("/proc/stat") as handle:
        for line in handle:
            if line.startswith("btime "):
                return int(line.split()[1])
    return 0


def precise_boot_time():
    """When the host booted, to the hundredth of a second: now less the uptime. btime in
    /proc/stat is whole seconds (cut, not rounded), so a start time built on it could be
    up to a second early, and a process started right after its unit was written then
    looked as if it had started before (a needless restart on the next deploy)."""
    try:
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
    except (IOError, OSError, ValueError, IndexError):
        return float(boot_time())
    return time.time() - uptime


def start_time(pid):
    """When a process started, in seconds since the epoch (one clock tick precise), or None."""
    ticks = start_ticks(pid)
    if ticks is None:
        return None
    return precise_boot_time() + float(ticks) / os.sysconf("SC_CLK_TCK")
