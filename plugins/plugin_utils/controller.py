# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-playbook run on the controller, as the holder of an app's lock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import getpass
import os
import socket
import time

from ansible_collections.procfile.systemd.plugins.module_utils.files import read_bytes
from ansible_collections.procfile.systemd.plugins.module_utils.proc import parent_pid, start_ticks


def process_start(pid):
    """The process's start time in clock ticks since boot (from /proc), or None."""
    return start_ticks(pid)


def main_process():
    """The PID of the ansible-playbook process itself.

    Tasks run in worker processes forked from it; a fork has the same command line as
    its parent, so the run's main process is the oldest ancestor with ours.
    """
    pid = os.getpid()
    cmdline = read_bytes("/proc/%d/cmdline" % pid)
    while True:
        parent = parent_pid(pid)
        if parent <= 1 or read_bytes("/proc/%d/cmdline" % parent) != cmdline:
            return pid
        pid = parent


def boot_id():
    text = read_bytes("/proc/sys/kernel/random/boot_id")
    return text.decode().strip() if text else ""


def current_run():
    pid = main_process()
    start = process_start(pid) or ""
    controller = socket.gethostname()
    boot = boot_id()
    return {
        "token": "%s:%s:%d:%s" % (controller, boot[:8], pid, start),
        "controller": controller,
        "boot_id": boot,
        "user": getpass.getuser(),
        "pid": pid,
        "pid_start": start,
    }


def run_is_alive(holder):
    """True/False for a holder on this controller (same boot), None for any other."""
    if holder.get("controller") != socket.gethostname() or holder.get("boot_id") != boot_id():
        return None
    try:
        pid = int(holder.get("pid"))
    except (TypeError, ValueError):
        return None
    return process_start(pid) == str(holder.get("pid_start"))


def lock_is_stale(holder, timeout, now=None):
    """Whether a lock's holder is gone.

    On this controller that is known for sure (its ansible-playbook process has exited).
    A holder on another controller is only presumed gone once its lease is older than
    TIMEOUT seconds.
    """
    if not holder or holder.get("token") in (None, "unreadable"):
        return False
    alive = run_is_alive(holder)
    if alive is not None:
        return not alive
    now = time.time() if now is None else now
    try:
        return now - float(holder.get("acquired_at")) > float(timeout)
    except (TypeError, ValueError):
        return False


def lock_refusal(app, result):
    """The refusal of a run that did not get APP's lock on a host, from RESULT (the result
    of the call that tried to take it: its holder_description and path)."""
    return ("Another run is changing app '%s' on this host: %s. Two runs at once would "
            "interleave their changes, so this run changed nothing here. Run again when it "
            "is done (or set procfile_lock_wait to wait for it). A run killed on this "
            "controller is detected and its lock taken over; if the holder ran elsewhere and "
            "is gone, remove %s on this host."
            % (app, (result or {}).get("holder_description") or "", (result or {}).get("path") or "its lock file"))
