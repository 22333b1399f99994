#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_instances
short_description: Scale an app's systemd template instances in one call per host
version_added: "0.1.0"
description:
  - Reads which instances of an app's process types a host has (from systemd itself),
    numbers the wanted instances (their C(UNIQUE_INT)) and starts, stops, enables,
    disables and restarts them with one C(systemctl) call per kind of action, so that
    the cost per host does not grow with the number of instances.
  - Only touches units whose files carry this app's ownership marker
    (C(X-ProcfileApp=<app>)); units of other apps, or written by hand, are never
    stopped, disabled or removed, and a unit name another app already owns is refused.
  - Instance numbers are unique across all of the app's types on the host and stable.
    New instances take the lowest free numbers; scaling down removes a type's highest.
  - This module is the engine of the M(procfile.systemd.procfile) role; it renders no
    unit files itself.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  app:
    description: The app's name, the prefix of its units.
    type: str
    required: true
  types:
    description:
      - The process types the app has now, in Procfile order (the release type excluded).
      - Owned templates of types not listed are stopped, disabled and removed in
        O(phase=apply).
      - Not used by O(phase=pause), O(phase=resume), O(phase=restart) and O(phase=status),
        which work on the types the host has.
    type: list
    elements: str
    default: []
  counts:
    description:
      - Wanted instance count per type; a type not named here runs none.
      - With O(phase=status), shown as the wanted column.
    type: dict
    default: {}
  base_port:
    description: An instance's C(PORT) is O(base_port) plus its number.
    type: int
    default: 5000
  phase:
    description:
      - V(plan) only reads and reports (and fails on conflicts); V(apply) changes the host.
      - V(pause) stops and disables every instance and records them in O(state_file)
        (a second pause keeps the first record); V(resume) enables and starts exactly the
        recorded instances and removes the record; while a record exists, V(apply)
        updates nothing but units and starts nothing.
      - V(restart) restarts the running instances (of the types in O(restart), or all).
      - V(status) reports every instance with its state, PID, restarts, start time and
        memory, as data (RV(status)) and as a table (RV(lines)). It never changes anything.
      - V(install), under the app's lock, runs the checks of V(plan) and then creates the
        app's account (O(account)) and directories (O(root_dirs), O(writable_dirs)),
        writes O(env_content) to O(env_file) and every unit of O(files), and removes
        O(absent). Every changed unit is checked with C(systemd-analyze verify) before the
        first write (any complaint fails, with nothing changed); files are replaced
        atomically; C(daemon-reload) follows a unit change. Returns which types to
        restart (RV(restart_types)) and the release fingerprint (RV(fingerprint)).
    type: str
    choices: [plan, install, apply, pause, resume, restart, status]
    default: plan
  files:
    description:
      - With O(phase=install), the unit files, each C(path), C(content) and C(type) (the
        process type it runs, or null), installed root-owned with mode 0644.
    type: list
    elements: dict
    default: []
  absent:
    description: With O(phase=install), unit files to remove (the release unit when the Procfile has no release).
    type: list
    elements: path
    default: []
  env_content:
    description:
      - With O(phase=install), the content of O(env_file) (root-owned, mode 0600). Never
        logged or returned; its diff shows variable names only.
    type: str
  account:
    description:
      - With O(phase=install), C(user), C(group) and C(create); with C(create), a missing
        group and user are created as system accounts (no home, no login shell), never root.
    type: dict
  root_dirs:
    description: With O(phase=install), directories created root-owned with mode 0700.
    type: list
    elements: path
    default: []
  writable_dirs:
    description: With O(phase=install), directories created owned by the app's user and group, mode 0750.
    type: list
    elements: path
    default: []
  root:
    description: The app's directory, the home of a created user.
    type: path
  revision:
    description: The app's revision, part of RV(fingerprint).
    type: str
    default: ""
  restart:
    description: Types whose running instances are restarted (their unit or environment changed).
    type: list
    elements: str
    default: []
  daemon_reload:
    description: Run C(systemctl daemon-reload) first (unit files changed).
    type: bool
    default: false
  state_file:
    description: The pause record (JSON, root-only).
    type: path
  after:
    description:
      - Units the app's processes are ordered after and want (C(procfile_after)). With
        O(phase=plan), each is looked up on the host; one that does not exist is a
        warning, or a failure with O(after_strict).
    type: list
    elements: str
    default: []
  after_strict:
    description: Fail, instead of warning, when a unit in O(after) does not exist.
    type: bool
    default: false
  env_file:
    description:
      - The app's EnvironmentFile. A running instance that started before this file, or
        its template unit, last changed is restarted in O(phase=apply), so that a run
        interrupted after writing files still converges on the next run.
    type: path
  fingerprint_file:
    description:
      - Where the fingerprint of the last successful release is kept. O(phase=plan)
        returns its content as RV(released_fingerprint); O(phase=apply) writes
        O(fingerprint) there once everything is applied.
    type: path
  fingerprint:
    description: The fingerprint to record in O(fingerprint_file) after applying.
    type: str
  lock_dir:
    description:
      - Where the app's lock lives (see M(procfile.systemd.procfile_lock)). O(phase=apply),
        O(phase=pause), O(phase=resume) and O(phase=restart) hold its flock while they work.
    type: path
    default: /run/procfile-systemd
  lock_owner:
    description:
      - With O(phase=install), take the app's lock for this run first
        (C(lookup('procfile.systemd.controller_run'))), as M(procfile.systemd.procfile_lock)
        does. Held by another run, the module changes nothing and returns
        RV(acquired=false) and the RV(holder).
    type: dict
  lock_steal:
    description: With O(lock_owner), the token of a dead holder whose lock is taken over.
    type: str
  lock_wait:
    description: With O(lock_owner), seconds to wait for another run's lock.
    type: int
    default: 0
  health_checks:
    description:
      - With O(phase=apply) or O(phase=restart), per process type, its check (C(path),
        C(timeout), C(status)); C(*) for the types not named, null for none. After
        instances were started or restarted, wait until every instance of those types
        answers HTTP on C(127.0.0.1:PORT) (see M(procfile.systemd.procfile_health)); fail
        if one does not. O(phase=restart) takes PORT's base from the installed units.
    type: dict
    default: {}
  unlock:
    description:
      - With O(phase=apply), the C(token) and C(nonce) of this run's lock
        (M(procfile.systemd.procfile_lock)), given back once everything is applied.
    type: dict
  unit_dir:
    description: Where the unit files are.
    type: path
    default: /etc/systemd/system
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows the instances per type before and after.
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: "Plan (read-only): what runs and what would change"
  procfile.systemd.procfile_instances:
    app: shop
    types: [web, worker]
    counts: {web: 2, worker: 3}
  register: __procfile_plan

- name: Apply, restarting the workers whose unit changed
  procfile.systemd.procfile_instances:
    app: shop
    types: [web, worker]
    counts: {web: 2, worker: 3}
    phase: apply
    daemon_reload: true
    restart: [worker]
"""

RETURN = r"""
instances:
  description: Instance numbers per type after the run (or that the run would leave).
  returned: plan and apply
  type: dict
  sample: {web: [1, 2], worker: [3, 4, 5]}
before:
  description: Instance numbers per type on the host (enabled, or running without being enabled).
  returned: plan and apply
  type: dict
  sample: {web: [1, 2], worker: [3]}
start:
  description: Instance units started (or to be started).
  returned: plan, apply and resume
  type: list
  elements: str
stop:
  description: Instance units stopped and disabled (or to be).
  returned: plan, apply and pause
  type: list
  elements: str
restart:
  description: Instance units restarted (or to be).
  returned: plan, apply and restart
  type: list
  elements: str
removed_types:
  description: Process types whose templates are removed (no longer in the Procfile).
  returned: plan and apply
  type: list
  elements: str
units:
  description: Every instance unit wanted, by type.
  returned: plan and apply
  type: dict
acquired:
  description: With O(phase=install) and O(lock_owner), whether this run holds the app's lock.
  returned: with phase=install
  type: bool
holder:
  description: The run that holds the app's lock, when it is not this one.
  returned: with phase=install, when another run holds the lock
  type: dict
lock:
  description: The lock this run holds (its C(nonce) identifies this acquisition).
  returned: with phase=install
  type: dict
unlocked_nonce:
  description: With O(unlock), the nonce of the lock that was given back (null if it was not).
  returned: with phase=apply and unlock
  type: str
healthy:
  description: With O(health_checks), the instances that answered.
  returned: when instances were health-checked
  type: list
  elements: dict
restart_types:
  description: With O(phase=install), the types whose instances must restart (unit or environment changed).
  returned: with phase=install
  type: list
  elements: str
fingerprint:
  description: With O(phase=install), what this deploy releases (units, environment, revision).
  returned: with phase=install
  type: str
release_due:
  description: With O(phase=install), whether RV(fingerprint) differs from the last successful release.
  returned: with phase=install
  type: bool
files_changed:
  description: With O(phase=install), the unit files that were (or would be) written.
  returned: with phase=install
  type: list
  elements: str
released_fingerprint:
  description: The content of O(fingerprint_file), or an empty string.
  returned: plan and apply
  type: str
paused:
  description: Whether the app is paused on the host (after the run).
  returned: always
  type: bool
msg:
  description: What happened, in a sentence.
  returned: always
  type: str
status:
  description: The app on this host, with O(phase=status).
  returned: status
  type: dict
  contains:
    app:
      description: The app.
      type: str
    paused:
      description: Whether a pause record exists.
      type: bool
    types:
      description: Per type, C(wanted) (null when unknown) and C(running) counts.
      type: list
      elements: dict
    instances:
      description:
        - Per instance, C(unit), C(type), C(unique_int), C(state), C(sub_state), C(enabled),
          C(main_pid), C(restarts), C(since) and C(memory) (C(-) where systemd does not
          account it).
      type: list
      elements: dict
lines:
  description: RV(status) as a table, one string per line.
  returned: status
  type: list
  elements: str
types:
  description: The app's process types installed on the host, with O(phase=status).
  returned: status
  type: list
  elements: str
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.files import (
    account_changes,
    create_account,
    needs_write,
    owner_ids,
    read_bytes,
    sha1,
    verify_units,
    write_atomic,
)
from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    allocate,
    enabled_instances,
    instances_by_type,
    ports,
    scan_owned_units,
)
from ansible_collections.procfile.systemd.plugins.module_utils.health import wait_healthy
from ansible_collections.procfile.systemd.plugins.module_utils.proc import start_time
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import (
    ACTIVE_STATES,
    Systemctl,
)
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    ensure_dir,
    inspect_dir,
)
from ansible_collections.procfile.systemd.plugins.module_utils.lock import (
    DEFAULT_LOCK_DIR,
    acquire_waiting,
    describe as describe_holder,
    hold,
    lock_path,
    release,
    takeover_warning,
)
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    APP_RE,
    instance_name,
    release_name,
    target_name,
    template_name,
)


def fail_on_conflicts(module, app, types, owned, unit_dir):
    """Refuse unit names that another app, or a hand-written file, already has."""
    wanted = [template_name(app, t) for t in types] + [target_name(app), release_name(app)]
    for name in wanted:
        path = os.path.join(unit_dir, name)
        if not os.path.lexists(path):
            continue
        owner = None
        for other, entry in owned.items():
            paths = list(entry["templates"].values()) + [entry["target"]] + entry["other"]
            if path in paths:
                owner = other
        if owner == app:
            continue
        if owner is not None:
            other_type = [t for t, p in owned[owner]["templates"].items() if p == path]
            module.fail_json(
                msg="unit name clash: %s already belongs to app '%s'%s; app '%s' cannot use "
                    "it. Rename a process type or an app." % (
                        path, owner, " (type '%s')" % other_type[0] if other_type else "", app),
                conflict=path, owner=owner)
        module.fail_json(
            msg="%s exists and was not written by procfile.systemd for app '%s' (no "
                "X-ProcfileApp=%s marker); refusing to overwrite or remove it." % (path, app, app),
            conflict=path, owner=None)


def fail_on_port_clash(module, app, base_port, after, owned, unit_dir):
    """Two apps on one host must not hand out the same PORT (see README: ports)."""
    mine = ports(base_port, [n for numbers in after.values() for n in numbers])
    for other, entry in sorted(owned.items()):
        if other == app or entry["base_port"] is None:
            continue
        theirs_by_type = enabled_instances(unit_dir, other, list(entry["templates"]))
        theirs = ports(entry["base_port"], [n for ns in theirs_by_type.values() for n in ns])
        clash = sorted(mine & theirs)
        if clash:
            module.fail_json(
                msg="PORT clash on this host: app '%s' would use port(s) %s, which app '%s' "
                    "already uses (its procfile_base_port is %d). Give the apps base ports "
                    "far enough apart." % (app, ", ".join(str(p) for p in clash[:10]), other,
                                           entry["base_port"]),
                ports=clash, other_app=other)


def check_after_units(module, host, units, strict):
    """Backing services named in procfile_after must exist (else ordering means nothing)."""
    states = host.states(sorted(set(units)), "Id,LoadState")
    missing = [u for u, s in sorted(states.items()) if s.get("LoadState") != "loaded"]
    if not missing:
        return
    message = ("procfile_after names unit(s) this host does not have: %s. The processes "
               "would start without waiting for them." % ", ".join(missing))
    if strict:
        module.fail_json(msg=message + " (procfile_after_strict: true)", missing_units=missing)
    module.warn(message)


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError, TypeError):
        return ""


def mtime(path):
    try:
        return os.stat(path).st_mtime
    except (OSError, TypeError):
        return 0


def stale(states, units_by_type, templates, env_file):
    """Running instances started before their template or the environment file changed."""
    env_changed = mtime(env_file)
    found = []
    for t, units in units_by_type.items():
        changed = max(env_changed, mtime(templates.get(t)))
        for unit in units:
            pid = int(states.get(unit, {}).get("MainPID") or 0)
            started = start_time(pid) if pid else None
            # One clock tick of slack: the start time is only that precise.
            if started is not None and started + 0.02 < changed:
                found.append(unit)
    return found


def describe(app, numbers):
    """The instances per type, one line each: `worker: 3 4 5 (shop-worker@N.service)`."""
    return "\n".join("%s: %s (%s)" % (t, " ".join(str(n) for n in ns) or "-",
                                      template_name(app, t).replace("@", "@N"))
                     for t, ns in sorted(numbers.items())) + "\n"


def present_instances(host, app, types, unit_dir, loaded=None):
    """{type: set of numbers}: enabled instances, and instances running without being enabled."""
    enabled = enabled_instances(unit_dir, app, types)
    present = instances_by_type(app, types, host.active_instances(app, loaded))
    for t in types:
        present[t] |= set(enabled[t])
    return present


def read_pause_record(module, path):
    text = read_text(path)
    if not text:
        return None
    try:
        record = json.loads(text)
        return dict((t, sorted(int(n) for n in ns)) for t, ns in record["instances"].items())
    except (ValueError, KeyError, TypeError, AttributeError):
        module.fail_json(msg="%s is not a pause record procfile.systemd wrote; inspect or remove "
                             "it" % path)


def human_bytes(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "-"
    if number >= 2 ** 63:  # systemd's "not available"
        return "-"
    for unit in ("B", "K", "M", "G"):
        if number < 1024 or unit == "G":
            return ("%d%s" % (number, unit)) if unit == "B" else ("%.1f%s" % (number, unit))
        number /= 1024.0
    return "-"


def short_time(timestamp):
    """'Mon 2026-11-23 11:47:11 UTC' -> '2026-11-23 11:47:11'; '' -> '-'."""
    parts = timestamp.split()
    return " ".join(parts[1:3]) if len(parts) >= 3 else (timestamp or "-")


def phase_pause(module, host, app, owned_types, unit_dir, state_file):
    record = read_pause_record(module, state_file)
    present = present_instances(host, app, owned_types, unit_dir)
    units = [instance_name(app, t, n) for t in owned_types for n in sorted(present[t])]
    kept = record is not None
    if record is None:
        record = dict((t, sorted(present[t])) for t in owned_types)
    result = dict(changed=bool(units) or not kept, paused=True, record=record, stop=units)
    count = sum(len(ns) for ns in record.values())
    result["msg"] = ("%s was already paused; kept the first record (%d instances)" % (app, count)
                     if kept else "%s paused: %d instances stopped and disabled, recorded for "
                     "resume" % (app, count))
    if module.check_mode:
        module.exit_json(**result)
    if not kept:
        write_atomic(state_file, json.dumps({"app": app, "instances": record,
                                             "paused_at": int(time.time())}) + "\n", 0o600)
    if units:
        host.run("stop", "--", *units)
        host.run("disable", "--quiet", "--", *units)
        host.reset_failed(units)
    module.exit_json(**result)


def phase_resume(module, host, app, owned_types, unit_dir, state_file):
    record = read_pause_record(module, state_file)
    if record is None:
        module.exit_json(changed=False, paused=False, start=[],
                         msg="%s is not paused: nothing to resume" % app)
    # Types removed from the Procfile while paused have no template any more.
    units = [instance_name(app, t, n) for t, ns in sorted(record.items()) if t in owned_types
             for n in ns]
    result = dict(changed=True, paused=False, record=record, start=units,
                  msg="%s resumed: %d instances enabled and started with their numbers"
                      % (app, len(units)))
    if module.check_mode:
        module.exit_json(**result)
    if units:
        host.run("enable", "--quiet", "--", *units)
        host.run("start", "--", *units)
    os.remove(state_file)
    module.exit_json(**result)


def phase_restart(module, host, app, owned_types, unit_dir, only, base_port, checks):
    unknown = sorted(set(only) - set(owned_types))
    if unknown:
        module.fail_json(msg="%s has no process type %s on this host (types: %s)"
                             % (app, ", ".join(unknown), ", ".join(owned_types) or "none"))
    types = only or owned_types
    loaded = host.loaded_instances(app)
    present = present_instances(host, app, types, unit_dir, loaded)
    units = [instance_name(app, t, n) for t in types for n in sorted(present[t])]
    units = [u for u in units if loaded.get(u, {}).get("ActiveState") in ACTIVE_STATES]
    result = dict(changed=bool(units), restart=units,
                  msg="%s: restarted %d instances" % (app, len(units)) if units
                  else "%s: no running instance to restart" % app)
    if units and not module.check_mode:
        host.run("restart", "--", *units)
        if checks:
            # The same gate as a deploy's: a rolling restart (serial) stops at the first host
            # whose instances do not come back healthy.
            restarted = dict((t, [n for n in sorted(present[t]) if instance_name(app, t, n) in units])
                             for t in types)
            healthy, unhealthy, message = wait_healthy(module, app, base_port, restarted, checks)
            result["healthy"] = healthy
            if message:
                result.update(msg=message, unhealthy=unhealthy)
                module.fail_json(**result)
    module.exit_json(**result)


def phase_status(module, host, app, owned_types, unit_dir, state_file, wanted):
    record = read_pause_record(module, state_file)
    present = present_instances(host, app, owned_types, unit_dir)
    numbers = dict((t, set(present[t]) | set((record or {}).get(t, []))) for t in owned_types)
    units = [(t, n, instance_name(app, t, n)) for t in owned_types for n in sorted(numbers[t])]
    states = host.status([u for _t, _n, u in units])
    rows = []
    for t, n, unit in units:
        s = states.get(unit, {})
        rows.append(dict(unit=unit, type=t, unique_int=n, state=s.get("ActiveState", "unknown"),
                         sub_state=s.get("SubState", ""), enabled=s.get("UnitFileState", ""),
                         main_pid=int(s.get("MainPID") or 0), restarts=int(s.get("NRestarts") or 0),
                         since=s.get("ActiveEnterTimestamp") or "",
                         memory=human_bytes(s.get("MemoryCurrent"))))
    running = dict((t, len([r for r in rows if r["type"] == t and r["state"] in ACTIVE_STATES]))
                   for t in owned_types)
    types = list(owned_types) + sorted(t for t in wanted if t not in owned_types)
    status = dict(app=app, paused=record is not None, types=[
        dict(type=t, wanted=wanted.get(t), running=running.get(t, 0)) for t in types],
        instances=rows, paused_record=record)
    state = "PAUSED (resume with --tags resume)" if record is not None else "running"
    lines = ["%s: %s%s" % (app, state, "" if owned_types else " - not deployed on this host")]
    lines.append("%-16s %6s %7s" % ("TYPE", "WANTED", "RUNNING"))
    for entry in status["types"]:
        wanted_count = "-" if entry["wanted"] is None else entry["wanted"]
        lines.append("%-16s %6s %7d" % (entry["type"], wanted_count, entry["running"]))
    width = max([len(r["unit"]) for r in rows] + [8])
    lines.append("%-*s %4s %-20s %7s %8s %-19s %7s" % (
        width, "INSTANCE", "INT", "STATE", "PID", "RESTARTS", "SINCE", "MEMORY"))
    for r in rows:
        lines.append("%-*s %4d %-20s %7s %8d %-19s %7s" % (
            width, r["unit"], r["unique_int"], "%s/%s" % (r["state"], r["sub_state"]),
            r["main_pid"] or "-", r["restarts"], short_time(r["since"]), r["memory"]))
    module.exit_json(changed=False, status=status, lines=lines, types=owned_types,
                     paused=record is not None)


def env_names_diff(before, after):
    """The environment file's diff without its values: names, and which values changed."""
    def values(text):
        pairs = (line.split("=", 1) for line in (text or "").splitlines()
                 if "=" in line and not line.startswith("#"))
        return dict((k, v) for k, v in pairs)
    old, new = values(before), values(after)
    return ("".join("%s=(secret)\n" % k for k in sorted(old)),
            "".join("%s=(secret%s)\n" % (k, "" if old.get(k) == v else ", new value")
                    for k, v in sorted(new.items())))


def take_lock(module, app, p):
    """With O(lock_owner), install first takes the app's lock (see procfile_lock): one
    call fewer per deploy. Held by another run: return at once, changing nothing."""
    path = lock_path(p["lock_dir"], app)
    acquired, holder, took_over = acquire_waiting(path, p["lock_owner"], p["lock_steal"],
                                                  p["lock_wait"], dry_run=module.check_mode)
    if not acquired:
        module.exit_json(changed=False, acquired=False, holder=holder, path=path,
                         holder_description=describe_holder(holder))
    if took_over is not None:
        module.warn(takeover_warning(app, took_over))
    return holder


def phase_install(module, host, app, types, p, lock=None):
    """Account, directories, unit files and environment file, verified before any write."""
    files = p["files"]
    env_file, env_content = p["env_file"], p["env_content"]
    changed_files = [f for f in files if needs_write(f["path"], f["content"], 0o644)]
    env_changed = env_content is not None and needs_write(env_file, env_content, 0o600)
    absent = [path for path in p["absent"] if os.path.lexists(path)]
    problems = verify_units(module, dict((os.path.basename(f["path"]), f["content"])
                                         for f in changed_files))
    if problems:
        module.fail_json(msg="systemd-analyze verify found problems in the rendered unit(s); "
                             "nothing was changed on this host:\n" + "\n".join(
                                 "%s:\n%s" % (name, text) for name, text in sorted(problems.items())),
                         problems=problems)
    account = p["account"] or {}
    user, group = account.get("user", "root"), account.get("group", "root")
    group_missing, user_missing = account_changes(user, group, bool(account.get("create")))
    # Root-only directories (the environment file's, the state's) must be where only
    # root can change them; the app's writable directories may be under the app's own,
    # but are never reached through a link it could have planted (see safepath).
    dirs = ([dict(path=d, owner="root", group="root", mode=0o700, trusted_parents=True,
                  what="root-only directory %s" % d) for d in p["root_dirs"]]
            + [dict(path=d, owner=user, group=group, mode=0o750, trusted_parents=False,
                    what="procfile_writable_dirs entry %s" % d) for d in p["writable_dirs"]])
    for d in dirs:
        owner, owner_group, mode = d["owner"], d["group"], d["mode"]
        created = (group_missing and owner_group == group) or (user_missing and owner == user)
        try:
            # Its owner is created by this run: the directory changes owner (or is new).
            uid, gid = (-1, -1) if created else owner_ids(owner, owner_group)
        except KeyError:
            module.fail_json(msg="%s cannot be owned by %s:%s: no such user or group on this host "
                                 "(create it, or set procfile_create_user: true)"
                                 % (d["path"], owner, owner_group))
        try:
            d["changing"] = inspect_dir(d["path"], uid, gid, mode, what=d["what"],
                                        trusted_parents=d["trusted_parents"]) or created
        except UnsafePath as exc:
            module.fail_json(msg="%s. Nothing was changed on this host." % exc)
    fingerprint = sha1(" ".join([sha1(f["content"]) for f in files]
                                + [sha1(env_content or ""), p["revision"] or ""]))
    released = read_text(p["fingerprint_file"])
    restart_types = list(types) if env_changed else [
        f["type"] for f in changed_files if f.get("type") in types]
    result = dict(
        changed=bool(changed_files or env_changed or absent or group_missing or user_missing
                     or any(d["changing"] for d in dirs)),
        files_changed=[f["path"] for f in changed_files], env_changed=env_changed,
        removed=absent, restart_types=restart_types, fingerprint=fingerprint,
        released_fingerprint=released, release_due=fingerprint != released,
        created_group=group if group_missing else None, created_user=user if user_missing else None,
        acquired=lock is not None, lock=lock)
    if module._diff:
        diffs = []
        for f in changed_files:
            old = read_bytes(f["path"])
            diffs.append(dict(before_header=f["path"], after_header=f["path"],
                              before=old.decode("utf-8", "replace") if old is not None else "",
                              after=f["content"]))
        for path in absent:
            diffs.append(dict(before_header=path, after_header="(removed)",
                              before=(read_bytes(path) or b"").decode("utf-8", "replace"), after=""))
        if env_changed:
            old = read_bytes(env_file)
            before, after = env_names_diff(old.decode("utf-8", "replace") if old else "", env_content)
            diffs.append(dict(before_header=env_file + " (values not shown)",
                              after_header=env_file + " (values not shown)",
                              before=before, after=after))
        result["diff"] = diffs
    if module.check_mode:
        module.exit_json(**result)

    create_account(module, user, group, p["root"] or "/", "procfile.systemd app %s" % app,
                   group_missing, user_missing)
    for d in dirs:
        if d["changing"]:
            uid, gid = owner_ids(d["owner"], d["group"])
            try:
                ensure_dir(d["path"], uid, gid, d["mode"], what=d["what"],
                           trusted_parents=d["trusted_parents"])
            except UnsafePath as exc:
                # Swapped since the check above: refused all the same, through nothing.
                module.fail_json(msg="%s. The deploy stopped here." % exc)
    # The environment first: a unit is never installed before the file it reads.
    if env_changed:
        write_atomic(env_file, env_content, 0o600)
    for f in changed_files:
        write_atomic(f["path"], f["content"], 0o644)
    for path in absent:
        os.remove(path)
    if changed_files or absent:
        host.run("daemon-reload")
    module.exit_json(**result)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            types=dict(type="list", elements="str", default=[]),
            counts=dict(type="dict", default={}),
            base_port=dict(type="int", default=5000),
            phase=dict(type="str", default="plan",
                       choices=["plan", "install", "apply", "pause", "resume", "restart", "status"]),
            files=dict(type="list", elements="dict", default=[]),
            absent=dict(type="list", elements="path", default=[]),
            env_content=dict(type="str", no_log=True),
            account=dict(type="dict"),
            root_dirs=dict(type="list", elements="path", default=[]),
            writable_dirs=dict(type="list", elements="path", default=[]),
            root=dict(type="path"),
            revision=dict(type="str", default=""),
            health_checks=dict(type="dict", default={}),
            lock_owner=dict(type="dict"),
            lock_steal=dict(type="str"),
            lock_wait=dict(type="int", default=0),
            unlock=dict(type="dict"),
            restart=dict(type="list", elements="str", default=[]),
            daemon_reload=dict(type="bool", default=False),
            env_file=dict(type="path"),
            after=dict(type="list", elements="str", default=[]),
            after_strict=dict(type="bool", default=False),
            state_file=dict(type="path"),
            fingerprint_file=dict(type="path"),
            fingerprint=dict(type="str"),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            lock_dir=dict(type="path", default=DEFAULT_LOCK_DIR),
        ),
        required_if=[("phase", "pause", ["state_file"]), ("phase", "resume", ["state_file"])],
        supports_check_mode=True,
    )
    p = module.params
    app, types, unit_dir, phase = p["app"], p["types"], p["unit_dir"], p["phase"]
    if not APP_RE.match(app):
        module.fail_json(msg="app %r: use lowercase letters, digits and '-'" % app)
    host = Systemctl(module)
    lock = None
    if phase == "install" and p["lock_owner"]:
        lock = take_lock(module, app, p)
    if phase in ("install", "apply", "pause", "resume", "restart") and not module.check_mode:
        # Held until this process exits: a run that takes over the lease of a killed run
        # waits here for a module that run left working on the host.
        hold(lock_path(p["lock_dir"], app))
    owned = scan_owned_units(unit_dir)
    mine = owned.get(app, {"templates": {}, "target": None})
    owned_types = sorted(mine["templates"])
    if phase == "pause":
        phase_pause(module, host, app, owned_types, unit_dir, p["state_file"])
    if phase == "resume":
        phase_resume(module, host, app, owned_types, unit_dir, p["state_file"])
    if phase == "restart":
        # The port base the units were installed with (their marker), not a default.
        phase_restart(module, host, app, owned_types, unit_dir, p["restart"],
                      mine.get("base_port") or p["base_port"], p["health_checks"])
    if phase == "status":
        phase_status(module, host, app, owned_types, unit_dir, p["state_file"],
                     dict((t, int(c)) for t, c in p["counts"].items()))

    try:
        counts = dict((t, int(p["counts"].get(t, 0))) for t in types)
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="counts must be integers: %s" % exc)
    unknown = sorted(set(p["counts"]) - set(types))
    if unknown:
        module.fail_json(msg="counts for types the Procfile lacks: %s" % ", ".join(unknown))

    fail_on_conflicts(module, app, types, owned, unit_dir)
    if phase in ("plan", "install"):
        check_after_units(module, host, p["after"], p["after_strict"])
    removed_types = sorted(t for t in mine["templates"] if t not in types)
    known_types = list(types) + removed_types
    paused = read_pause_record(module, p["state_file"])

    loaded = host.loaded_instances(app)
    present = present_instances(host, app, known_types, unit_dir, loaded)
    before = dict((t, sorted(ns)) for t, ns in present.items() if ns or t in types)
    after = allocate(present, counts, types)
    if paused is not None:
        # Paused: nothing is started; the record says what resume brings back.
        after = dict((t, list(paused.get(t, []))) for t in types)
    fail_on_port_clash(module, app, p["base_port"], after, owned, unit_dir)
    if phase == "install":
        phase_install(module, host, app, types, p, lock)

    wanted_units = dict((t, [instance_name(app, t, n) for n in after[t]]) for t in types)
    wanted = [u for t in types for u in wanted_units[t]]
    surplus = [instance_name(app, t, n) for t in known_types for n in sorted(present[t])
               if t not in after or n not in after[t] or paused is not None]
    # MainPID (for stale instances) and NeedDaemonReload of the loaded ones only.
    target = target_name(app)
    states = host.states([target] + [u for u in wanted if u in loaded],
                         "Id,ActiveState,UnitFileState,MainPID,NeedDaemonReload")
    target_state = states.get(target, {})
    enable_target = target_state.get("UnitFileState") != "enabled"
    start_target = target_state.get("ActiveState") != "active"
    released = read_text(p["fingerprint_file"])
    running = set(u for u in wanted if loaded.get(u, {}).get("ActiveState") in ACTIVE_STATES)
    if paused is None:
        start = [u for u in wanted if u not in running]
        # Enabled means what `systemctl enable` makes of [Install] WantedBy=<app>.target:
        # the instance's link in <app>.target.wants, read from the disk.
        enabled = enabled_instances(unit_dir, app, types)
        enable = [instance_name(app, t, n) for t in types for n in after[t] if n not in enabled[t]]
        restart_types = set(p["restart"])
        restart = [u for t in types if t in restart_types for u in wanted_units[t] if u in running]
        restart += [u for u in stale(states, wanted_units, mine["templates"], p["env_file"])
                    if u in running and u not in restart]
    else:
        start, enable, restart = [], [], []
    daemon_reload = p["daemon_reload"] or any(
        s.get("NeedDaemonReload") == "yes" for s in states.values())
    record = p["fingerprint"] is not None and p["fingerprint"] != released

    result = dict(
        changed=bool(start or enable or surplus or restart or removed_types or daemon_reload
                     or record or enable_target or start_target),
        instances=after, before=before, start=start, stop=surplus, restart=restart,
        removed_types=removed_types, units=wanted_units, released_fingerprint=released,
        paused=paused is not None,
        msg=("%s is paused: units updated, no instance started (resume with --tags resume)"
             % app) if paused is not None else "",
    )
    if module._diff:
        result["diff"] = dict(before=describe(app, before), after=describe(app, after),
                              before_header="%s instances" % app, after_header="%s instances" % app)
    if phase == "plan" or module.check_mode:
        if phase == "plan":
            result["changed"] = False
        module.exit_json(**result)

    # ---- apply, in the order that keeps the host consistent at every step
    if daemon_reload:
        host.run("daemon-reload")
    if surplus:
        host.run("stop", "--", *surplus)
        host.run("disable", "--quiet", "--", *surplus)
        host.reset_failed(surplus)
    if removed_types:
        for t in removed_types:
            os.remove(mine["templates"][t])
        host.run("daemon-reload")
    # One enable and one start for the target and the instances together: each enable
    # reloads systemd, which costs more the more units it has loaded.
    enable_now = ([target] if enable_target else []) + enable
    if enable_now:
        host.run("enable", "--quiet", "--", *enable_now)
    start_now = ([target] if start_target else []) + start
    if start_now:
        host.run("start", "--", *start_now)
    if restart:
        host.run("restart", "--", *restart)
    if (start or restart) and p["health_checks"]:
        healthy, unhealthy, message = wait_healthy(module, app, p["base_port"], after,
                                                   p["health_checks"])
        result["healthy"] = healthy
        if message:
            # The fingerprint stays unrecorded and the lock held: the role gives it back.
            result.update(msg=message, unhealthy=unhealthy)
            module.fail_json(**result)
    if record:
        write_atomic(p["fingerprint_file"], p["fingerprint"] + "\n", 0o600)
    if p["unlock"]:
        # The last step of a deploy: give the app's lock back (this run's, this acquisition's).
        result["unlocked_nonce"] = p["unlock"].get("nonce") if release(
            lock_path(p["lock_dir"], app), p["unlock"].get("token"), nonce=p["unlock"].get("nonce"),
            guard_held=True) else None
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
