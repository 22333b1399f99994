# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-app lock on a host: one ansible-playbook run at a time changes an app.

A deploy is many tasks, each its own process on the host, so no kernel lock can span
it. The lock is therefore a lease: a small JSON file naming the run that holds it, under
/run (a tmpfs: a reboot frees it). Whether a holder is still alive is decided on the
controller (see the controller_run lookup and the lock_is_stale filter), because only
the controller can see its own ansible-playbook processes.

Every read-modify-write of the lease happens under flock() on a guard file beside it,
and the modules that change the host also hold that flock while they work, so a run
that takes over a lease from a dead run still waits for a module the dead run left
running on the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import contextlib
import fcntl
import io
import json
import os
import time

from ansible_collections.procfile.systemd.plugins.module_utils.files import write_atomic

DEFAULT_LOCK_DIR = "/run/procfile-systemd"


def lock_path(lock_dir, app):
    return os.path.join(lock_dir, "%s.lock" % app)


def hold(path):
    """flock() on PATH.guard until this process exits (for a module's whole run)."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd = os.open(path + ".guard", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@contextlib.contextmanager
def guard(path, create=True):
    """hold(), for the duration of the block only.

    CREATE false (a dry run): a missing guard file is not made, nor its directory, and
    nothing is locked. Check mode must change nothing, and without a guard file there is
    no lease to read consistently: a lease is only ever written under its guard.
    """
    if not create:
        try:
            fd = os.open(path + ".guard", os.O_RDWR)
        except OSError:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            os.close(fd)
        return
    fd = hold(path)
    try:
        yield
    finally:
        os.close(fd)


def read_holder(path):
    """The lease's content, None when there is no lease."""
    try:
        # UTF-8 whatever the locale (see files.read_text): a lease is never a traceback.
        with io.open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        holder = None
    if not isinstance(holder, dict) or not holder.get("token"):
        # Unreadable: keep it held (never guess), but say what is there.
        return {"token": "unreadable", "content": text[:200]}
    return holder


def _write(path, owner):
    record = dict(owner)
    record["acquired_at"] = int(time.time())
    # Tells this acquisition from an earlier one of the same run (see release()).
    record["nonce"] = binascii.hexlify(os.urandom(8)).decode()
    write_atomic(path, json.dumps(record, sort_keys=True) + "\n", 0o600)
    return record


def acquire(path, owner, steal=None, dry_run=False):
    """(acquired, holder, took_over_from).

    Free, or already ours: take it. Held by STEAL (a token the controller found dead):
    take it over. Held by anyone else: leave it and return the holder.
    """
    # A lease held by another live run is reported at once, without waiting for the
    # guard: that run's module may hold the guard for long (a health check, a stop
    # timeout). The guarded check below decides everything else.
    holder = read_holder(path)
    if holder is not None and holder.get("token") != owner["token"] and (
            steal is None or holder.get("token") != steal):
        return False, holder, None
    with guard(path, create=not dry_run):
        holder = read_holder(path)
        mine = holder is not None and holder.get("token") == owner["token"]
        took_over = None
        if holder is not None and not mine:
            if steal is None or holder.get("token") != steal:
                return False, holder, None
            took_over = holder
        if dry_run:
            return True, dict(owner), took_over
        if mine:
            return True, holder, None
        return True, _write(path, owner), took_over


def acquire_waiting(path, owner, steal=None, wait=0, dry_run=False):
    """acquire(), retried every half second for up to WAIT seconds while another run holds it."""
    deadline = time.time() + max(0, wait)
    while True:
        acquired, holder, took_over = acquire(path, owner, steal, dry_run)
        if acquired or time.time() >= deadline:
            return acquired, holder, took_over
        time.sleep(0.5)


def take(module, app, p):
    """The one way a module takes APP's lock for its run: P's lock_owner, lock_steal,
    lock_wait and lock_dir (doc fragment procfile.systemd.lock). Returns (holder, None),
    or (None, the result to return at once, having changed nothing) when another run holds
    it: the module's action plugin then takes over a dead run's lock or refuses the run
    (plugin_utils/locked_action.py)."""
    path = lock_path(p["lock_dir"], app)
    acquired, holder, took_over = acquire_waiting(path, p["lock_owner"], p["lock_steal"],
                                                  p["lock_wait"], dry_run=module.check_mode)
    if not acquired:
        return None, dict(changed=False, acquired=False, holder=holder, path=path,
                          holder_description=describe(holder))
    if took_over is not None:
        module.warn(takeover_warning(app, took_over))
    return holder, None


def takeover_warning(app, took_over):
    return ("took over the lock of app '%s' from %s, which is gone (it was killed or lost its "
            "connection): its changes may be half done, this run completes them"
            % (app, describe(took_over)))


def release(path, token, dry_run=False, nonce=None, guard_held=False):
    """Remove the lease if TOKEN holds it (and, if given, with NONCE); True when it was
    removed (or would be). GUARD_HELD: the caller already holds the guard (hold()).

    A lease that is not TOKEN's is left at once, without waiting for the guard: a run that
    was refused gives back nothing, and must not wait for the holder's module (a health
    check, a stop timeout) to let go of the guard. No other run can make it TOKEN's.
    """
    holder = read_holder(path)
    if holder is None or holder.get("token") != token:
        return False
    with (contextlib.nullcontext() if guard_held else guard(path, create=not dry_run)):
        holder = read_holder(path)
        if holder is None or holder.get("token") != token:
            return False
        if nonce is not None and holder.get("nonce") != nonce:
            return False
        if not dry_run:
            os.remove(path)
        return True


def describe(holder, now=None):
    """One line about a lease holder, for error messages."""
    if holder.get("token") == "unreadable":
        return "an unreadable lock (%r)" % holder.get("content", "")
    now = time.time() if now is None else now
    since = holder.get("acquired_at")
    age = "" if since is None else ", %d s ago, at %s" % (
        max(0, now - since), time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since)))
    return "run %s (ansible-playbook pid %s of %s on controller %s%s)" % (
        holder.get("token"), holder.get("pid", "?"), holder.get("user", "?"),
        holder.get("controller", "?"), age)
